//! Offer mapping on synthetic offers: connections, durations, times, and
//! offers that are skipped instead of failing the search.

use serde_json::{Value, json};

use crate::providers::duffel::mapping::{
    map_offer_request, order_metadata_matches, parse_iso_duration_minutes, parse_local_time,
};
use crate::providers::duffel::wire::OfferRequest;

fn segment(
    from: &str,
    to: &str,
    departs: &str,
    arrives: &str,
    duration: Value,
    flight: &str,
) -> Value {
    json!({
        "origin": {"iata_code": from}, "destination": {"iata_code": to},
        "departing_at": departs, "arriving_at": arrives, "duration": duration,
        "marketing_carrier": {"iata_code": &flight[..2], "name": "Some Air"},
        "marketing_carrier_flight_number": &flight[2..],
        "passengers": [{"passenger_id": "pas_1", "cabin_class": "business"}]
    })
}

fn offer(id: &str, total: &str, slices: Value) -> Value {
    json!({
        "id": id, "total_amount": total, "total_currency": "USD",
        "expires_at": "2027-03-01T10:30:00Z",
        "owner": {"iata_code": "BA", "name": "British Airways"},
        "passengers": [{"id": "pas_1"}, {"id": "pas_2"}],
        "slices": slices
    })
}

/// JFK -> LHR -> DXB with a 2h 10m connection; slice duration null.
fn connecting_slice(slice_duration: Value) -> Value {
    json!({
        "origin": {"iata_code": "JFK"}, "destination": {"iata_code": "DXB"},
        "duration": slice_duration,
        "segments": [
            segment("JFK", "LHR", "2027-03-14T18:30:00", "2027-03-15T06:35:00", json!("PT7H5M"), "BA117"),
            segment("LHR", "DXB", "2027-03-15T08:45", "2027-03-15T19:40:00.000", json!("PT6H55M"), "AA2403"),
        ]
    })
}

fn request(offers: Vec<Value>) -> OfferRequest {
    serde_json::from_value(json!({
        "id": "orq_1",
        "passengers": [{"id": "pas_1", "age": 40}, {"id": "pas_2", "age": 9}],
        "offers": offers
    }))
    .unwrap()
}

#[test]
fn connecting_offer_maps_with_computed_duration() {
    let result = map_offer_request(
        &request(vec![offer(
            "off_1",
            "1351.07",
            json!([connecting_slice(Value::Null)]),
        )]),
        1,
    );
    assert_eq!(result.skipped, 0);
    let offer = &result.offers[0];
    assert_eq!(offer.total.amount_minor, 135_107);
    assert_eq!(offer.passenger_ids, vec!["pas_1", "pas_2"]);
    assert_eq!(offer.cabin_class.as_str(), "business");
    let slice = &offer.slices[0];
    assert_eq!(slice.stops, 1);
    assert_eq!(slice.flights, vec!["BA117", "AA2403"]);
    assert_eq!(slice.departing_at.to_string(), "2027-03-14 18:30:00");
    assert_eq!(slice.arriving_at.to_string(), "2027-03-15 19:40:00");
    // 7h05 + 2h10 connection + 6h55.
    assert_eq!(slice.duration_minutes, 16 * 60 + 10);
}

#[test]
fn slice_duration_wins_when_present() {
    let result = map_offer_request(
        &request(vec![offer(
            "off_1",
            "10",
            json!([connecting_slice(json!("P1DT2H"))]),
        )]),
        1,
    );
    assert_eq!(result.offers[0].slices[0].duration_minutes, 26 * 60);
}

#[test]
fn broken_offers_are_skipped_and_counted() {
    let good = offer(
        "off_good",
        "99.99",
        json!([connecting_slice(json!("PT16H10M"))]),
    );
    let mut bad_amount = good.clone();
    bad_amount["total_amount"] = json!("99.999");
    let mut bad_currency = good.clone();
    bad_currency["total_currency"] = json!("usd");
    let mut no_segments = good.clone();
    no_segments["slices"][0]["segments"] = json!([]);
    let mut no_flight_number = good.clone();
    no_flight_number["slices"][0]["segments"][1]["marketing_carrier_flight_number"] = Value::Null;
    let mut no_durations = good.clone();
    no_durations["slices"][0]["duration"] = Value::Null;
    no_durations["slices"][0]["segments"][0]["duration"] = Value::Null;
    let mut bad_time = good.clone();
    bad_time["slices"][0]["segments"][0]["departing_at"] = json!("tomorrow");
    let mut bad_cabin = good.clone();
    bad_cabin["slices"][0]["segments"][0]["passengers"][0]["cabin_class"] = json!("steerage");
    let mut other_passengers = good.clone();
    other_passengers["passengers"] = json!([{"id": "pas_9"}]);
    let mut bad_expiry = good.clone();
    bad_expiry["expires_at"] = json!("soon");
    let not_an_object = json!("off_x");

    let result = map_offer_request(
        &request(vec![
            bad_amount,
            good,
            bad_currency,
            no_segments,
            no_flight_number,
            no_durations,
            bad_time,
            bad_cabin,
            other_passengers,
            bad_expiry,
            not_an_object,
        ]),
        1,
    );
    assert_eq!(result.offers.len(), 1);
    assert_eq!(result.offers[0].offer_id, "off_good");
    assert_eq!(result.skipped, 10);
}

#[test]
fn iso_durations() {
    for (text, minutes) in [
        ("PT5H4M", Some(304)),
        ("PT02H26M", Some(146)),
        ("P1DT2H", Some(26 * 60)),
        ("P1D", Some(24 * 60)),
        ("PT45M", Some(45)),
        ("PT45M59S", Some(45)),
        ("PT1H0.5S", Some(60)),
        ("P1W", Some(7 * 24 * 60)),
        ("PT", None),
        ("P", None),
        ("", None),
        ("5H4M", None),
        ("PT5H4", None),
        ("P1Y", None),
        ("P1M", None),
        ("PT1.5H", None),
        ("PTH", None),
        ("PT-5H", None),
    ] {
        assert_eq!(parse_iso_duration_minutes(text), minutes, "{text}");
    }
}

#[test]
fn local_times_with_and_without_seconds() {
    for (text, expected) in [
        ("2020-06-13T16:38:02", Some("2020-06-13 16:38:02")),
        ("2020-06-13T16:38", Some("2020-06-13 16:38:00")),
        (
            "2020-06-13T16:38:02.123456",
            Some("2020-06-13 16:38:02.123456"),
        ),
        ("2020-06-13 16:38:02", Some("2020-06-13 16:38:02")),
        ("2020-06-13T16:38:02+01:00", Some("2020-06-13 16:38:02")),
        ("2020-06-13", None),
        ("16:38", None),
    ] {
        let parsed = parse_local_time(text).map(|t| t.to_string());
        assert_eq!(parsed.as_deref(), expected, "{text}");
    }
}

#[test]
fn metadata_matching_compares_strings_exactly() {
    let order = json!({"id": "ord_1", "metadata": {"idempotency_key": "saga:order:1", "n": 1}});
    assert!(order_metadata_matches(
        &order,
        "idempotency_key",
        "saga:order:1"
    ));
    assert!(!order_metadata_matches(
        &order,
        "idempotency_key",
        "saga:order:2"
    ));
    assert!(!order_metadata_matches(&order, "n", "1"));
    assert!(!order_metadata_matches(
        &json!({"metadata": null}),
        "idempotency_key",
        "x"
    ));
}

#[test]
fn an_offer_records_whether_it_requires_identity_documents() {
    let mut required = offer("off_docs", "10", json!([connecting_slice(Value::Null)]));
    required["passenger_identity_documents_required"] = json!(true);
    let mut not_required = offer("off_plain", "10", json!([connecting_slice(Value::Null)]));
    not_required["passenger_identity_documents_required"] = json!(false);
    let mut null = offer("off_null", "10", json!([connecting_slice(Value::Null)]));
    null["passenger_identity_documents_required"] = Value::Null;
    let absent = offer("off_absent", "10", json!([connecting_slice(Value::Null)]));
    let result = map_offer_request(&request(vec![required, not_required, null, absent]), 1);
    let flags: Vec<bool> = result
        .offers
        .iter()
        .map(|o| o.identity_documents_required)
        .collect();
    assert_eq!(flags, [true, false, false, false]);
}
