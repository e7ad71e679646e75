//! The real Duffel fixtures' keys must all appear in what the sandbox
//! answers, level by level (data, offers, slices, segments).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{adults, spawn};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/duffel/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

fn assert_keys_covered(level: &str, real: &Value, ours: &Value) {
    let missing: Vec<String> = keys(real).difference(&keys(ours)).cloned().collect();
    assert!(missing.is_empty(), "{level}: sandbox lacks {missing:?}");
}

/// Checks an offer or order and its first slice and segment.
fn assert_journey_covered(level: &str, real: &Value, ours: &Value) {
    assert_keys_covered(level, real, ours);
    let (real_slice, our_slice) = (&real["slices"][0], &ours["slices"][0]);
    assert_keys_covered(&format!("{level}.slices"), real_slice, our_slice);
    let (real_segment, our_segment) = (&real_slice["segments"][0], &our_slice["segments"][0]);
    assert_keys_covered(&format!("{level}.segments"), real_segment, our_segment);
    assert_keys_covered(
        &format!("{level}.segments.origin"),
        &real_segment["origin"],
        &our_segment["origin"],
    );
    assert_keys_covered(
        &format!("{level}.segments.marketing_carrier"),
        &real_segment["marketing_carrier"],
        &our_segment["marketing_carrier"],
    );
    assert_keys_covered(
        &format!("{level}.segments.aircraft"),
        &real_segment["aircraft"],
        &our_segment["aircraft"],
    );
    let mut real_passenger = real_segment["passengers"][0].clone();
    // A seat is only present when one was booked as a service.
    real_passenger.as_object_mut().unwrap().remove("seat");
    assert_keys_covered(
        &format!("{level}.segments.passengers"),
        &real_passenger,
        &our_segment["passengers"][0],
    );
}

#[tokio::test]
async fn sandbox_answers_cover_the_real_shapes() {
    let app = spawn().await;
    let search = app.search("LHR", "JFK", adults(1)).await;
    let real_search = &fixture("create-offer-request.json")["data"];
    assert_keys_covered("offer_request", real_search, &search);
    assert_keys_covered(
        "offer_request.slices",
        &real_search["slices"][0],
        &search["slices"][0],
    );
    assert_journey_covered("offer", &real_search["offers"][0], &search["offers"][0]);
    assert_keys_covered(
        "offer.conditions",
        &real_search["offers"][0]["conditions"],
        &search["offers"][0]["conditions"],
    );
    assert_keys_covered(
        "offer.payment_requirements",
        &real_search["offers"][0]["payment_requirements"],
        &search["offers"][0]["payment_requirements"],
    );

    let request_id = search["id"].as_str().unwrap();
    let (_, list) = app
        .duffel_get(&format!(
            "/air/offers?offer_request_id={request_id}&limit=1"
        ))
        .await;
    let real_list = fixture("get-offers.json");
    assert_keys_covered("offers list", &real_list, &list);
    assert_keys_covered("offers list meta", &real_list["meta"], &list["meta"]);
    assert_journey_covered("listed offer", &real_list["data"][0], &list["data"][0]);
    let offer_id = search["offers"][0]["id"].as_str().unwrap();
    let (_, offer) = app.duffel_get(&format!("/air/offers/{offer_id}")).await;
    let real_offer = &fixture("get-offer-by-id.json")["data"];
    assert_journey_covered("offer by id", real_offer, &offer["data"]);

    let (status, order) = app
        .book(&search["offers"][0], None, json!({ "saga_id": "s" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for name in ["create-instant-order.json", "get-order-by-id.json"] {
        assert_journey_covered(name, &fixture(name)["data"], &order["data"]);
    }
    let order_id = order["data"]["id"].as_str().unwrap();
    let (_, cancellation) = app
        .duffel_post("/air/order_cancellations", json!({ "order_id": order_id }))
        .await;
    assert_keys_covered(
        "cancellation",
        &fixture("create-order-cancellation.json")["data"],
        &cancellation["data"],
    );
}
