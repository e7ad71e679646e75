//! Every Duffel fixture we consume parses into our types.

use autobook_contracts::trip::CabinClass;
use autobook_contracts::{Currency, Money};
use chrono::{NaiveDate, TimeZone, Utc};

use super::fixture;
use crate::providers::duffel::client::decode_order;
use crate::providers::duffel::errors::decode;
use crate::providers::duffel::mapping::{
    map_cancellation, map_offer, map_offer_request, offer_passenger_ids,
};
use crate::providers::duffel::wire::{Offer, OfferRequest, OrderCancellation, Page};

fn gbp(minor: i64) -> Money {
    Money::new(minor, Currency::GBP)
}

fn assert_fixture_offer(offer: &autobook_contracts::offer::OfferSummary, slices: usize) {
    assert_eq!(offer.offer_id, "off_00009htYpSCXrwaB9DnUm0");
    assert_eq!(offer.total, gbp(4500));
    assert_eq!(
        offer.expires_at,
        Utc.with_ymd_and_hms(2020, 1, 17, 10, 42, 14).unwrap()
            + chrono::Duration::milliseconds(545)
    );
    assert_eq!(offer.owner.as_str(), "BA");
    assert_eq!(offer.owner_name, "British Airways");
    assert_eq!(offer.cabin_class, CabinClass::Economy);
    assert_eq!(offer.passenger_ids, vec!["pas_00009hj8USM7Ncg31cBCL"]);
    assert!(
        !offer.identity_documents_required,
        "the fixtures' passenger_identity_documents_required is false or absent"
    );
    assert_eq!(offer.slices.len(), slices);
    let slice = &offer.slices[0];
    assert_eq!(slice.origin.as_str(), "LHR");
    assert_eq!(slice.destination.as_str(), "JFK");
    let local = NaiveDate::from_ymd_opt(2020, 6, 13)
        .unwrap()
        .and_hms_opt(16, 38, 2)
        .unwrap();
    assert_eq!(slice.departing_at, local);
    assert_eq!(slice.arriving_at, local);
    assert_eq!(slice.duration_minutes, 2 * 60 + 26);
    assert_eq!(slice.stops, 0);
    assert_eq!(slice.flights, vec!["BA1234"]);
}

#[test]
fn offer_request_fixtures_map_to_search_results() {
    for name in ["create-offer-request.json", "get-offer-request-by-id.json"] {
        let request: OfferRequest = decode(&fixture(name), Utc::now()).unwrap();
        let result = map_offer_request(&request, 1);
        assert_eq!(
            result.offer_request_id, "orq_00009hjdomFOCJyxHG7k7k",
            "{name}"
        );
        assert_eq!(result.skipped, 0, "{name}");
        assert_eq!(result.offers.len(), 1, "{name}");
        assert_fixture_offer(&result.offers[0], 1);

        // A round trip expects two slices: this one-slice offer is skipped.
        let round_trip = map_offer_request(&request, 2);
        assert_eq!((round_trip.offers.len(), round_trip.skipped), (0, 1));
    }
}

#[test]
fn offer_fixtures_map_to_offer_summaries() {
    for name in [
        "get-offer-by-id.json",
        "get-offer-by-id-with-null-payment-requirements.json",
    ] {
        let offer: Offer = decode(&fixture(name), Utc::now()).unwrap();
        let summary = map_offer(&offer, &offer_passenger_ids(&offer)).unwrap();
        assert_fixture_offer(&summary, 1);
    }
}

#[test]
fn offer_list_fixture_maps() {
    let raw = fixture("get-offers.json");
    let page: Page = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(
        page.meta.and_then(|m| m.after).as_deref(),
        Some("g2wAAAACbQAAABBBZXJvbWlzdC1LaGFya2l2bQAAAB=")
    );
    assert_eq!(page.data.len(), 1);
    let offer: Offer = serde_json::from_value(page.data[0].clone()).unwrap();
    // This fixture's offer has two slices.
    assert_fixture_offer(&map_offer(&offer, &offer_passenger_ids(&offer)).unwrap(), 2);
}

#[test]
fn order_fixtures_map_to_orders() {
    for name in [
        "create-instant-order.json",
        "get-order-by-id.json",
        "create-hold-order.json",
    ] {
        let order = decode_order(&fixture(name)).unwrap();
        assert_eq!(order.id, "ord_00009hthhsUZ8W4LxQgkjo", "{name}");
        assert_eq!(order.booking_reference, "RZPNX8");
        assert_eq!(order.total, gbp(9080));
        assert_eq!(order.metadata.len(), 2);
        assert_eq!(order.metadata["customer_prefs"], "window seat");
        assert_eq!(
            order.metadata["payment_intent_id"],
            "pit_00009htYpSCXrwaB9DnUm2"
        );
        // These fixtures carry a cancelled_at timestamp.
        assert!(order.cancelled);
    }
}

#[test]
fn an_order_without_cancelled_at_is_live() {
    let mut json: serde_json::Value =
        serde_json::from_slice(&fixture("get-order-by-id.json").body).unwrap();
    json["data"]["cancelled_at"] = serde_json::Value::Null;
    json["data"]["metadata"] = serde_json::json!({"idempotency_key": "k1", "attempt": 2});
    let mut raw = fixture("get-order-by-id.json");
    raw.body = serde_json::to_vec(&json).unwrap();
    let order = decode_order(&raw).unwrap();
    assert!(!order.cancelled);
    assert_eq!(order.metadata["idempotency_key"], "k1");
    assert_eq!(order.metadata["attempt"], "2");
}

#[test]
fn cancellation_fixtures_map() {
    for name in [
        "create-order-cancellation.json",
        "confirm-order-cancellation.json",
    ] {
        let wire: OrderCancellation = decode(&fixture(name), Utc::now()).unwrap();
        let cancellation = map_cancellation(&wire).unwrap();
        assert_eq!(
            cancellation.id.as_deref(),
            Some("ore_00009qzZWzjDipIkqpaUAj")
        );
        assert_eq!(cancellation.refund, Some(gbp(9080)));
        assert!(!cancellation.already_cancelled);
    }
}

#[test]
fn fixture_copies_match_the_shared_originals() {
    let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/duffel");
    let Ok(entries) = std::fs::read_dir(shared) else {
        return; // The shared folder is not beside this checkout.
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            assert_eq!(
                fixture(&name).body,
                std::fs::read(&path).unwrap(),
                "{name} differs"
            );
        }
    }
}
