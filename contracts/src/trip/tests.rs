//! Trip validation rules, one test per rule.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::*;
use crate::personal::erased;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
}

/// The shared sample trip on 2027-03-14, at most 250.00 USD, for `usr_1`.
fn base() -> Value {
    crate::fixtures::trip_json_with(|v| {
        v["user_id"] = json!("usr_1");
        v["departure_date"] = json!("2027-03-14");
        v["max_price"]["amount_minor"] = json!(25000);
    })
}

fn trip(edit: impl FnOnce(&mut Value)) -> TripRequest {
    let mut v = base();
    edit(&mut v);
    serde_json::from_value(v).expect("shape is valid")
}

fn check(edit: impl FnOnce(&mut Value)) -> Result<(), TripValidationError> {
    trip(edit).validate(now())
}

#[test]
fn a_plain_trip_is_valid() {
    assert_eq!(check(|_| {}), Ok(()));
}

#[test]
fn unknown_and_identical_places_are_rejected() {
    assert!(matches!(
        check(|v| v["origin"] = json!("QQQ")),
        Err(TripValidationError::UnknownPlace {
            field: "origin",
            ..
        })
    ));
    assert!(matches!(
        check(|v| v["destination"] = json!("JFK")),
        Err(TripValidationError::SameOriginAndDestination(_))
    ));
    assert!(matches!(
        check(|v| v["destination"] = json!("NYC")),
        Err(TripValidationError::SameOriginAndDestination(_))
    ));
    assert_eq!(check(|v| v["origin"] = json!("NYC")), Ok(()));
}

#[test]
fn today_is_judged_in_the_origin_time_zone() {
    // 2026-11-22 03:00 UTC is still 2026-11-21 in Los Angeles but already the 22nd in Tokyo.
    let late = Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap();
    let from_lax = trip(|v| {
        v["origin"] = json!("LAX");
        v["destination"] = json!("JFK");
        v["departure_date"] = json!("2026-11-21");
    });
    assert_eq!(from_lax.validate(late), Ok(()));
    let from_tokyo = trip(|v| {
        v["origin"] = json!("HND");
        v["departure_date"] = json!("2026-11-21");
    });
    assert!(matches!(
        from_tokyo.validate(late),
        Err(TripValidationError::DepartureInPast { .. })
    ));
}

#[test]
fn dates_must_be_in_range_and_ordered() {
    assert!(matches!(
        check(|v| v["departure_date"] = json!("2026-11-20")),
        Err(TripValidationError::DepartureInPast { .. })
    ));
    assert!(matches!(
        check(|v| v["departure_date"] = json!("2028-01-01")),
        Err(TripValidationError::DepartureTooFarAhead { .. })
    ));
    assert!(matches!(
        check(|v| v["return_date"] = json!("2027-03-13")),
        Err(TripValidationError::ReturnBeforeDeparture { .. })
    ));
    assert_eq!(check(|v| v["return_date"] = json!("2027-03-14")), Ok(()));
}

#[test]
fn passenger_rules() {
    let adult = base()["passengers"][0].clone();
    let mut child = adult.clone();
    child["born_on"] = json!("2020-01-01");
    let mut infant = adult.clone();
    infant["born_on"] = json!("2026-06-01");
    let mut unborn = adult.clone();
    unborn["born_on"] = json!("2027-03-14");
    let mut ancient = adult.clone();
    ancient["born_on"] = json!("1900-01-01");

    assert_eq!(
        check(|v| v["passengers"] = json!([])),
        Err(TripValidationError::PassengerCount(0))
    );
    assert_eq!(
        check(|v| v["passengers"] = json!(vec![adult.clone(); 10])),
        Err(TripValidationError::PassengerCount(10))
    );
    assert_eq!(
        check(|v| v["passengers"] = json!([child.clone()])),
        Err(TripValidationError::NoAdult)
    );
    assert_eq!(
        check(|v| v["passengers"] = json!([adult.clone(), infant.clone(), infant.clone()])),
        Err(TripValidationError::TooManyInfants)
    );
    assert_eq!(
        check(|v| v["passengers"] = json!([adult.clone(), unborn])),
        Err(TripValidationError::BornAfterDeparture(2))
    );
    assert_eq!(
        check(|v| v["passengers"] = json!([ancient])),
        Err(TripValidationError::ImplausibleAge(1))
    );
    assert_eq!(
        check(|v| v["passengers"] = json!([adult, child, infant])),
        Ok(())
    );
}

#[test]
fn an_infant_is_under_2_at_departure_and_needs_an_adult_of_its_own() {
    let adult = base()["passengers"][0].clone();
    let mut infant = adult.clone();
    // Turns 2 the day after departure (2027-03-14): still an infant.
    infant["born_on"] = json!("2025-03-15");
    let mut toddler = adult.clone();
    // Turns 2 on the departure day: no longer an infant.
    toddler["born_on"] = json!("2025-03-14");
    let mut teen = adult.clone();
    teen["born_on"] = json!("2010-01-01");
    let checked = |passengers: Value| check(|v| v["passengers"] = passengers);
    assert_eq!(checked(json!([adult.clone(), infant.clone()])), Ok(()));
    assert_eq!(
        checked(json!([adult.clone(), infant.clone(), infant.clone()])),
        Err(TripValidationError::TooManyInfants)
    );
    assert_eq!(
        checked(json!([
            adult.clone(),
            teen.clone(),
            infant.clone(),
            infant.clone()
        ])),
        Err(TripValidationError::TooManyInfants),
        "a 16-year-old cannot carry an infant"
    );
    assert_eq!(
        checked(json!([adult.clone(), infant.clone(), toddler])),
        Ok(())
    );
    assert_eq!(
        checked(json!([adult.clone(), adult, infant.clone(), infant])),
        Ok(())
    );
}

fn passport(expires_on: &str, country: &str) -> Value {
    json!({"type": "passport", "unique_identifier": "K12345678",
           "issuing_country_code": country, "expires_on": expires_on})
}

#[test]
fn identity_documents_must_outlast_the_trip_and_name_a_country() {
    let with_document = |document: Value, return_date: Option<&str>| {
        check(|v| {
            v["passengers"][0]["identity_document"] = document;
            if let Some(date) = return_date {
                v["return_date"] = json!(date);
            }
        })
    };
    assert_eq!(with_document(passport("2027-03-15", "GB"), None), Ok(()));
    assert_eq!(
        with_document(passport("2027-03-14", "GB"), None),
        Err(TripValidationError::DocumentExpired(1)),
        "expires on the departure day"
    );
    assert_eq!(
        with_document(passport("2027-03-20", "GB"), Some("2027-03-21")),
        Err(TripValidationError::DocumentExpired(1)),
        "valid for the way out, expired before the return"
    );
    assert_eq!(
        with_document(passport("2030-01-01", erased::COUNTRY), None),
        Err(TripValidationError::DocumentCountry(1)),
        "the erasure placeholder is no country"
    );
    let trip = trip(|v| v["passengers"][0]["identity_document"] = passport("2030-01-01", "US"));
    assert!(trip.carries_identity_documents());
    assert!(!self::trip(|_| {}).carries_identity_documents());
    for error in [
        TripValidationError::DocumentExpired(1),
        TripValidationError::DocumentCountry(1),
    ] {
        let message = error.to_string();
        assert!(
            !message.contains("2027") && !message.contains("GB"),
            "{message}"
        );
    }
}

#[test]
fn malformed_identity_documents_fail_to_deserialize_without_quoting() {
    for (field, bad) in [
        ("unique_identifier", json!("ab-12")),
        ("unique_identifier", json!("1234")),
        ("issuing_country_code", json!("UK")),
        ("expires_on", json!("20/05/2031")),
        ("type", json!("national_id")),
    ] {
        let mut v = base();
        v["passengers"][0]["identity_document"] = passport("2031-05-20", "GB");
        v["passengers"][0]["identity_document"][field] = bad.clone();
        let error = serde_json::from_value::<TripRequest>(v)
            .unwrap_err()
            .to_string();
        if field != "type" {
            assert!(!error.contains(bad.as_str().unwrap()), "{error}");
        }
    }
}

#[test]
fn preference_rules() {
    assert_eq!(
        check(|v| v["max_price"]["amount_minor"] = json!(0)),
        Err(TripValidationError::NonPositiveMaxPrice(0))
    );
    assert_eq!(
        check(|v| v["max_stops"] = json!(3)),
        Err(TripValidationError::MaxStops(3))
    );
    assert_eq!(
        check(|v| v["departure_window"] = json!({"earliest": "21:00", "latest": "06:00"})),
        Err(TripValidationError::EmptyDepartureWindow)
    );
    assert_eq!(
        check(|v| v["airlines"] = json!(["Q9"])),
        Err(TripValidationError::UnknownAirline(0))
    );
    assert_eq!(
        check(|v| v["airlines"] = json!(["AA", "AA"])),
        Err(TripValidationError::DuplicateAirline(1))
    );
    assert_eq!(
        check(|v| {
            v["airlines"] = json!(["AA", "DL"]);
            v["max_stops"] = json!(0);
            v["departure_window"] = json!({"earliest": "06:00", "latest": "21:30"});
        }),
        Ok(())
    );
}

#[test]
fn malformed_shapes_fail_to_deserialize() {
    let mut v = base();
    v["max_prise"] = json!({"amount_minor": 1, "currency": "USD"});
    assert!(
        serde_json::from_value::<TripRequest>(v).is_err(),
        "unknown fields are refused"
    );
    let mut v = base();
    v["passengers"][0]["given_name"] = json!("<script>alert(1)</script>");
    assert!(serde_json::from_value::<TripRequest>(v).is_err());
    let mut v = base();
    v["cabin_class"] = json!("cargo");
    assert!(serde_json::from_value::<TripRequest>(v).is_err());
    let mut v = base();
    v["departure_date"] = json!("14/03/2027");
    assert!(serde_json::from_value::<TripRequest>(v).is_err());
}

#[test]
fn today_across_the_date_line_depends_on_the_origin() {
    // 2026-11-21 12:00 UTC is already 2026-11-22 01:00 in Auckland (NZDT,
    // +13) and still 2026-11-21 02:00 in Honolulu (-10).
    let now = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let from = |origin: &str, destination: &str, date: &str| {
        trip(|v| {
            v["origin"] = json!(origin);
            v["destination"] = json!(destination);
            v["departure_date"] = json!(date);
        })
    };
    // Today in Auckland, though still yesterday in UTC.
    assert_eq!(from("AKL", "HNL", "2026-11-22").validate(now), Ok(()));
    // Yesterday in Auckland, today in Honolulu.
    assert_eq!(
        from("AKL", "HNL", "2026-11-21").validate(now),
        Err(TripValidationError::DepartureInPast {
            date: "2026-11-21".parse().unwrap(),
            today: "2026-11-22".parse().unwrap(),
        })
    );
    assert_eq!(from("HNL", "AKL", "2026-11-21").validate(now), Ok(()));
    assert!(matches!(
        from("HNL", "AKL", "2026-11-20").validate(now),
        Err(TripValidationError::DepartureInPast { .. })
    ));
}

#[test]
fn a_date_is_past_from_the_local_midnight_that_ends_it() {
    // Local midnight starting 2027-03-14 in New York (still EST, clocks spring
    // forward at 02:00 that day) is 05:00 UTC.
    let midnight = Utc.with_ymd_and_hms(2027, 3, 14, 5, 0, 0).unwrap();
    let second = chrono::Duration::seconds(1);
    let on_the_13th = trip(|v| v["departure_date"] = json!("2027-03-13"));
    assert_eq!(on_the_13th.validate(midnight - second), Ok(()));
    assert!(matches!(
        on_the_13th.validate(midnight),
        Err(TripValidationError::DepartureInPast { .. })
    ));
    assert!(matches!(
        on_the_13th.validate(midnight + second),
        Err(TripValidationError::DepartureInPast { .. })
    ));
    // The same instants in London (GMT until 2027-03-28): midnight is 00:00 UTC.
    let london_midnight = Utc.with_ymd_and_hms(2027, 3, 14, 0, 0, 0).unwrap();
    let from_london = trip(|v| {
        v["origin"] = json!("LHR");
        v["departure_date"] = json!("2027-03-13");
    });
    assert_eq!(from_london.validate(london_midnight - second), Ok(()));
    assert!(matches!(
        from_london.validate(london_midnight),
        Err(TripValidationError::DepartureInPast { .. })
    ));
}

#[test]
fn today_is_right_on_the_days_around_a_clock_change() {
    // New York falls back on 2026-11-01 at 02:00 EDT: the 1st lasts from
    // 04:00 UTC to 05:00 UTC on the 2nd (25 hours).
    let second = chrono::Duration::seconds(1);
    let end_of_first = Utc.with_ymd_and_hms(2026, 11, 2, 5, 0, 0).unwrap();
    let on_the_first = trip(|v| v["departure_date"] = json!("2026-11-01"));
    assert_eq!(on_the_first.validate(end_of_first - second), Ok(()));
    assert!(matches!(
        on_the_first.validate(end_of_first),
        Err(TripValidationError::DepartureInPast { .. })
    ));
    // Santiago skips 2026-09-06 00:00: the 5th ends at 04:00 UTC.
    let end_of_fifth = Utc.with_ymd_and_hms(2026, 9, 6, 4, 0, 0).unwrap();
    let from_santiago = trip(|v| {
        v["origin"] = json!("SCL");
        v["departure_date"] = json!("2026-09-05");
    });
    assert_eq!(from_santiago.validate(end_of_fifth - second), Ok(()));
    assert!(matches!(
        from_santiago.validate(end_of_fifth),
        Err(TripValidationError::DepartureInPast { .. })
    ));
}
