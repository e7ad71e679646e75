//! Duffel request bodies and the order-list scan.

use std::collections::BTreeMap;
use std::time::Duration;

use autobook_contracts::codes::PlaceCode;
use autobook_contracts::commands::{OrderPassenger, SearchOffers};
use autobook_contracts::trip::CabinClass;
use autobook_contracts::{Currency, IdempotencyKey, Money, Step};
use chrono::NaiveDate;
use serde_json::json;

use crate::providers::duffel::client::scan_order_page;
use crate::providers::duffel::model::NewOrder;
use crate::providers::duffel::request::{
    cancellation_body, order_body, search_body, supplier_timeout_millis,
};
use crate::providers::error::{ErrorClass, ProviderError};
use crate::providers::tests::raw;

fn search(return_date: Option<NaiveDate>, ages: Vec<u8>, max_connections: u8) -> SearchOffers {
    SearchOffers {
        idempotency_key: IdempotencyKey::derive(uuid::Uuid::nil(), Step::Search, 1),
        origin: PlaceCode::parse("NYC").unwrap(),
        destination: PlaceCode::parse("LAX").unwrap(),
        departure_date: NaiveDate::from_ymd_opt(2027, 3, 14).unwrap(),
        return_date,
        passenger_ages: ages,
        cabin_class: CabinClass::PremiumEconomy,
        max_connections,
    }
}

#[test]
fn one_way_search_body() {
    let body = search_body(&search(None, vec![35, 18, 17, 1], 1)).unwrap();
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"data": {
            "slices": [{"origin": "NYC", "destination": "LAX", "departure_date": "2027-03-14"}],
            "passengers": [{"type": "adult"}, {"type": "adult"}, {"age": 17}, {"age": 1}],
            "cabin_class": "premium_economy",
            "max_connections": 1
        }})
    );
}

#[test]
fn round_trip_search_body_flies_back() {
    let back = NaiveDate::from_ymd_opt(2027, 3, 21).unwrap();
    let body =
        serde_json::to_value(search_body(&search(Some(back), vec![40], 0)).unwrap()).unwrap();
    assert_eq!(
        body["data"]["slices"],
        json!([
            {"origin": "NYC", "destination": "LAX", "departure_date": "2027-03-14"},
            {"origin": "LAX", "destination": "NYC", "departure_date": "2027-03-21"}
        ])
    );
    assert_eq!(body["data"]["max_connections"], 0);
}

#[test]
fn impossible_searches_are_refused() {
    for command in [
        search(None, vec![], 1),
        search(None, vec![30], 3),
        search(None, vec![30; 10], 1),
    ] {
        let error = search_body(&command).unwrap_err();
        assert!(matches!(error, ProviderError::InvalidRequest(_)));
        assert_eq!(error.class(), ErrorClass::Permanent);
    }
}

#[test]
fn supplier_timeout_is_clamped_to_duffels_range() {
    assert_eq!(supplier_timeout_millis(Duration::from_secs(20)), 20_000);
    assert_eq!(supplier_timeout_millis(Duration::from_millis(10)), 2_000);
    assert_eq!(supplier_timeout_millis(Duration::from_secs(600)), 60_000);
}

fn passengers() -> Vec<OrderPassenger> {
    serde_json::from_value(json!([{
        "passenger_id": "pas_1",
        "details": {
            "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
            "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+442080160508"
        }
    }]))
    .unwrap()
}

#[test]
fn order_body_pays_the_offer_total_from_balance() {
    let passengers = passengers();
    let order = NewOrder {
        offer_id: "off_1",
        amount: Money::new(35_130, Currency::USD),
        passengers: &passengers,
        identity_documents_required: false,
        metadata: BTreeMap::from([("idempotency_key".to_owned(), "saga:order:1".to_owned())]),
    };
    assert_eq!(
        serde_json::to_value(order_body(&order).unwrap()).unwrap(),
        json!({"data": {
            "type": "instant",
            "selected_offers": ["off_1"],
            "passengers": [{
                "id": "pas_1", "born_on": "1987-07-24", "gender": "f", "title": "ms",
                "given_name": "Amelia", "family_name": "Earhart",
                "email": "amelia@example.com", "phone_number": "+442080160508"
            }],
            "payments": [{"type": "balance", "amount": "351.30", "currency": "USD"}],
            "metadata": {"idempotency_key": "saga:order:1"}
        }})
    );
    // Debug of the order never shows the traveller.
    let shown = format!("{order:?}");
    assert!(
        !shown.contains("Amelia") && !shown.contains("example.com"),
        "{shown}"
    );
}

#[test]
fn invalid_orders_are_refused() {
    let passengers = passengers();
    let valid = NewOrder {
        offer_id: "off_1",
        amount: Money::new(100, Currency::USD),
        passengers: &passengers,
        identity_documents_required: false,
        metadata: BTreeMap::new(),
    };
    let zero = NewOrder {
        amount: Money::new(0, Currency::USD),
        ..valid.clone()
    };
    let nobody = NewOrder {
        passengers: &[],
        ..valid.clone()
    };
    let long_key = NewOrder {
        metadata: BTreeMap::from([("k".repeat(41), "v".to_owned())]),
        ..valid.clone()
    };
    let long_value = NewOrder {
        metadata: BTreeMap::from([("k".to_owned(), "v".repeat(501))]),
        ..valid.clone()
    };
    for order in [zero, nobody, long_key, long_value] {
        assert!(matches!(
            order_body(&order),
            Err(ProviderError::InvalidRequest(_))
        ));
    }
    assert!(order_body(&valid).is_ok());
}

#[test]
fn cancellation_body_names_the_order() {
    assert_eq!(
        serde_json::to_value(cancellation_body("ord_1")).unwrap(),
        json!({"data": {"order_id": "ord_1"}})
    );
}

fn order_page(orders: serde_json::Value, after: Option<&str>) -> String {
    json!({"data": orders, "meta": {"limit": 200, "after": after, "before": null}}).to_string()
}

fn listed_order(id: &str, key: &str) -> serde_json::Value {
    json!({
        "id": id, "booking_reference": "ABC123", "total_amount": "10.00",
        "total_currency": "EUR", "cancelled_at": null,
        "metadata": {"idempotency_key": key},
        "passengers": [{"given_name": "Not Read"}]
    })
}

#[test]
fn order_pages_are_scanned_for_the_key() {
    let page = order_page(
        json!([listed_order("ord_a", "k1"), listed_order("ord_b", "k2")]),
        Some("cursor2"),
    );
    let (found, next) = scan_order_page(&raw(200, &[], &page), "idempotency_key", "k2").unwrap();
    assert_eq!(found.unwrap().id, "ord_b");
    assert_eq!(next.as_deref(), Some("cursor2"));

    let (found, next) = scan_order_page(&raw(200, &[], &page), "idempotency_key", "k3").unwrap();
    assert!(found.is_none());
    assert_eq!(next.as_deref(), Some("cursor2"));

    let last = order_page(json!([]), None);
    assert_eq!(
        scan_order_page(&raw(200, &[], &last), "idempotency_key", "k3").unwrap(),
        (None, None)
    );

    let broken = order_page(
        json!([{"id": "ord_c", "metadata": {"idempotency_key": "k4"}}]),
        None,
    );
    let error = scan_order_page(&raw(200, &[], &broken), "idempotency_key", "k4").unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
}
