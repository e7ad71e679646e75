//! The passengers of an order body: infants on adults' laps and identity
//! documents, checked against the shapes of Duffel's order fixtures.

use std::collections::BTreeMap;

use autobook_contracts::commands::OrderPassenger;
use autobook_contracts::{Currency, Money};
use serde_json::{Value, json};

use super::fixture;
use crate::providers::duffel::model::NewOrder;
use crate::providers::duffel::request::order_body;
use crate::providers::error::ProviderError;

/// The ids of Duffel's order fixtures: an adult with an infant on her lap.
const ADULT: &str = "pas_00009hj8USM7Ncg31cBCLL";
const INFANT: &str = "pas_00009hj8USM8Ncg32aTGHL";

fn passenger(id: &str, age: Option<u8>, born_on: &str, document: Option<Value>) -> OrderPassenger {
    let mut details = json!({
        "title": "mrs", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
        "born_on": born_on, "email": "amelia@example.com", "phone_number": "+442080160508"
    });
    if let Some(document) = document {
        details["identity_document"] = document;
    }
    serde_json::from_value(json!({"passenger_id": id, "age": age, "details": details})).unwrap()
}

fn passport(number: &str) -> Value {
    json!({"type": "passport", "unique_identifier": number,
           "issuing_country_code": "GB", "expires_on": "2031-05-20"})
}

fn body(passengers: &[OrderPassenger], documents_required: bool) -> Result<Value, ProviderError> {
    let order = NewOrder {
        offer_id: "off_00009htYpSCXrwaB9DnUm0",
        amount: Money::new(4500, Currency::GBP),
        passengers,
        identity_documents_required: documents_required,
        metadata: BTreeMap::new(),
    };
    order_body(&order).map(|body| serde_json::to_value(body).unwrap())
}

/// The fixture's order passengers.
fn fixture_passengers(name: &str) -> Vec<Value> {
    let order: Value = serde_json::from_slice(&fixture(name).body).unwrap();
    order["data"]["passengers"].as_array().unwrap().clone()
}

#[test]
fn the_adult_carries_the_infant_as_in_the_order_fixtures() {
    let passengers = [
        passenger(ADULT, Some(32), "1987-07-24", None),
        passenger(INFANT, Some(0), "2026-09-01", None),
    ];
    let sent = body(&passengers, false).unwrap();
    let sent = sent["data"]["passengers"].as_array().unwrap();
    for name in ["create-instant-order.json", "get-order-by-id.json"] {
        let adult = &fixture_passengers(name)[0];
        assert_eq!(sent[0]["id"], adult["id"], "{name}");
        assert_eq!(
            sent[0]["infant_passenger_id"], adult["infant_passenger_id"],
            "{name}"
        );
        // Every field of ours the fixture shows has the fixture's JSON type.
        for (key, value) in sent[0].as_object().unwrap() {
            if let Some(theirs) = adult.get(key) {
                assert_eq!(
                    std::mem::discriminant(value),
                    std::mem::discriminant(theirs),
                    "{name}: {key}"
                );
            }
        }
    }
    assert!(
        sent[1].get("infant_passenger_id").is_none(),
        "the infant carries nobody"
    );
    assert!(sent[0].get("identity_documents").is_none());
}

#[test]
fn two_infants_ride_with_two_distinct_adults_and_a_child_carries_none() {
    let passengers = [
        passenger("pas_a", Some(40), "1986-01-01", None),
        passenger("pas_child", Some(9), "2017-01-01", None),
        passenger("pas_i1", Some(1), "2025-06-01", None),
        passenger("pas_b", Some(45), "1981-01-01", None),
        passenger("pas_i2", Some(0), "2026-06-01", None),
    ];
    let sent = body(&passengers, false).unwrap();
    let laps: Vec<Option<&str>> = sent["data"]["passengers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["infant_passenger_id"].as_str())
        .collect();
    assert_eq!(laps, [Some("pas_i1"), None, None, Some("pas_i2"), None]);

    let too_few_laps = [
        passenger("pas_a", Some(40), "1986-01-01", None),
        passenger("pas_child", Some(16), "2010-01-01", None),
        passenger("pas_i1", Some(1), "2025-06-01", None),
        passenger("pas_i2", Some(0), "2026-06-01", None),
    ];
    assert!(matches!(
        body(&too_few_laps, false),
        Err(ProviderError::InvalidRequest(_))
    ));
}

#[test]
fn documents_are_sent_only_when_the_offer_requires_them() {
    let passengers = [
        passenger(ADULT, Some(32), "1987-07-24", Some(passport("K12345678"))),
        passenger(INFANT, Some(0), "2026-09-01", Some(passport("K87654321"))),
    ];
    let without = body(&passengers, false).unwrap();
    assert!(
        without["data"]["passengers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("identity_documents").is_none()),
        "not required: not sent"
    );
    let with = body(&passengers, true).unwrap();
    assert_eq!(
        with["data"]["passengers"][0]["identity_documents"],
        json!([{"type": "passport", "unique_identifier": "K12345678",
                "issuing_country_code": "GB", "expires_on": "2031-05-20"}])
    );
    assert_eq!(
        with["data"]["passengers"][1]["identity_documents"][0]["unique_identifier"],
        "K87654321"
    );

    let one_missing = [
        passenger(ADULT, Some(32), "1987-07-24", Some(passport("K12345678"))),
        passenger(INFANT, Some(0), "2026-09-01", None),
    ];
    let refused = body(&one_missing, true).unwrap_err();
    assert!(matches!(refused, ProviderError::InvalidRequest(_)));
    assert!(!refused.to_string().contains("K12345678"), "{refused}");
}

#[test]
fn a_command_without_ages_orders_as_before() {
    let passengers = [passenger(ADULT, None, "1987-07-24", None)];
    let sent = body(&passengers, false).unwrap();
    assert!(
        sent["data"]["passengers"][0]
            .get("infant_passenger_id")
            .is_none()
    );
}
