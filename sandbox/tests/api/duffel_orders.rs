//! Duffel orders: creation, seats, price changes, expiry, refusals,
//! cancellations and the ledger.

use std::time::Duration;

use autobook_contracts::{Currency, Money};
use autobook_sandbox::{FaultScript, Faults, OrderFault, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{adults, spawn, spawn_with};

fn segments_of(offer: &Value) -> u64 {
    offer["slices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["segments"].as_array().unwrap().len() as u64)
        .sum()
}

fn minor(amount: &Value, currency: &Value) -> i64 {
    let currency = Currency::parse(currency.as_str().unwrap()).unwrap();
    Money::from_decimal(amount.as_str().unwrap(), currency)
        .unwrap()
        .amount_minor
}

#[tokio::test]
async fn an_order_books_seats_and_is_recorded() {
    let app = spawn().await;
    let data = app
        .search(
            "JFK",
            "LAX",
            json!([{ "type": "adult" }, { "age": 30 }, { "age": 1 }]),
        )
        .await;
    let offer = &data["offers"][0];
    let (status, body) = app.book(offer, None, json!({ "saga_id": "saga-1" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let order = &body["data"];
    assert!(order["id"].as_str().unwrap().starts_with("ord_"));
    let reference = order["booking_reference"].as_str().unwrap();
    assert!(
        reference.len() == 6
            && reference
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    );
    assert_eq!(order["total_amount"], offer["total_amount"]);
    assert_eq!(order["metadata"]["saga_id"], "saga-1");
    assert_eq!(order["payment_status"]["awaiting_payment"], false);
    assert!(order["cancelled_at"].is_null());
    let documents = order["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 3);
    for document in documents {
        let ticket = document["unique_identifier"].as_str().unwrap();
        assert!(ticket.len() == 13 && ticket.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(document["type"], "electronic_ticket");
    }
    let ledger = app.ledger();
    assert_eq!(ledger.orders.len(), 1);
    let entry = &ledger.orders[0];
    assert_eq!(entry.booking_reference, reference);
    assert_eq!(
        entry.total_amount,
        minor(&offer["total_amount"], &offer["total_currency"])
    );
    assert_eq!(entry.total_currency, "USD");
    assert_eq!(entry.passenger_count, 3);
    assert_eq!(entry.metadata["saga_id"], "saga-1");
    assert!(!entry.cancelled);
    // The infant sits on a lap: two seats per segment.
    assert_eq!(ledger.seats_sold, 2 * segments_of(offer));

    let (status, fetched) = app
        .duffel_get(&format!("/air/orders/{}", order["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["data"]["booking_reference"], reference);
    let (_, listed) = app
        .duffel_get(&format!("/air/orders?booking_reference={reference}"))
        .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(listed["meta"]["after"].is_null());
}

#[tokio::test]
async fn the_same_offer_can_be_booked_twice_and_lists_are_newest_first() {
    let app = spawn().await;
    let data = app.search("SFO", "SEA", adults(1)).await;
    let offer = &data["offers"][0];
    let (first, one) = app.book(offer, None, json!({})).await;
    let (second, two) = app.book(offer, None, json!({})).await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::CREATED));
    assert_ne!(
        one["data"]["booking_reference"],
        two["data"]["booking_reference"]
    );
    let (_, page) = app.duffel_get("/air/orders?limit=1").await;
    assert_eq!(page["data"][0]["id"], two["data"]["id"]);
    let after = page["meta"]["after"].as_str().unwrap();
    let (_, next) = app
        .duffel_get(&format!("/air/orders?limit=1&after={after}"))
        .await;
    assert_eq!(next["data"][0]["id"], one["data"]["id"]);
    assert_eq!(app.ledger().orders.len(), 2);
}

#[tokio::test]
async fn flights_are_never_oversold() {
    let app = spawn_with(SandboxConfig {
        seats_per_flight: 1,
        ..SandboxConfig::default()
    })
    .await;
    let data = app.search("JFK", "LAX", adults(1)).await;
    let offer = &data["offers"][0];
    let (status, _) = app.book(offer, None, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.book(offer, None, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "offer_no_longer_available");
    let two = app.search("JFK", "LAX", adults(2)).await;
    let (status, _) = app.book(&two["offers"][1], None, json!({})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "two passengers, one seat"
    );
    assert_eq!(app.ledger().orders.len(), 1);
}

#[tokio::test]
async fn a_changed_price_is_answered_until_the_new_total_is_paid() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        orders: vec![OrderFault::PriceChanged],
        ..FaultScript::default()
    });
    let data = app.search("ATL", "MIA", adults(1)).await;
    let offer = &data["offers"][0];
    let (status, body) = app.book(offer, None, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "price_changed");
    let (_, again) = app.book(offer, None, json!({})).await;
    assert_eq!(
        again["errors"][0]["code"], "price_changed",
        "consistent on retry"
    );
    let (_, fresh) = app
        .duffel_get(&format!("/air/offers/{}", offer["id"].as_str().unwrap()))
        .await;
    let old = minor(&offer["total_amount"], &offer["total_currency"]);
    let new = minor(&fresh["data"]["total_amount"], &offer["total_currency"]);
    assert!(
        new as f64 >= old as f64 * 1.029 && new as f64 <= old as f64 * 1.151,
        "{old} -> {new}"
    );
    let (status, order) = app
        .book(offer, fresh["data"]["total_amount"].as_str(), json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(app.ledger().orders[0].total_amount, new);
}

#[tokio::test]
async fn expired_and_refused_offers_stay_that_way() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        orders: vec![OrderFault::OfferExpired, OrderFault::Rejected],
        ..FaultScript::default()
    });
    let data = app.search("DEN", "SEA", adults(1)).await;
    let offers = data["offers"].as_array().unwrap();
    let (status, body) = app.book(&offers[0], None, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "offer_no_longer_available");
    assert_eq!(body["errors"][0]["type"], "invalid_state_error");
    let (_, body) = app.book(&offers[1], None, json!({})).await;
    assert_eq!(body["errors"][0]["type"], "airline_error");
    assert_eq!(body["errors"][0]["code"], "airline_unknown");
    // The script is used up; both offers keep their fate.
    let (_, body) = app.book(&offers[0], None, json!({})).await;
    assert_eq!(body["errors"][0]["code"], "offer_no_longer_available");
    let (_, body) = app.book(&offers[1], None, json!({})).await;
    assert_eq!(body["errors"][0]["code"], "airline_unknown");
    assert!(app.ledger().orders.is_empty());
}

#[tokio::test]
async fn rate_driven_faults_are_consistent_after_rates_drop() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        offer_expired_rate: 1.0,
        ..Faults::default()
    });
    let data = app.search("ORD", "BOS", adults(1)).await;
    let offer = &data["offers"][0];
    let (_, body) = app.book(offer, None, json!({})).await;
    assert_eq!(body["errors"][0]["code"], "offer_no_longer_available");
    app.sandbox.set_faults(Faults::default());
    let (_, body) = app.book(offer, None, json!({})).await;
    assert_eq!(body["errors"][0]["code"], "offer_no_longer_available");
    let (status, _) = app.book(&data["offers"][1], None, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn offers_expire_with_the_clock() {
    let app = spawn().await;
    let data = app.search("LAX", "PHX", adults(1)).await;
    app.sandbox.advance_clock(Duration::from_secs(31 * 60));
    let (status, body) = app.book(&data["offers"][0], None, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "offer_no_longer_available");
}

#[tokio::test]
async fn order_bodies_are_validated() {
    let app = spawn().await;
    let data = app.search("JFK", "MIA", adults(1)).await;
    let offer = &data["offers"][0];
    let (status, body) = app
        .duffel_post("/air/orders", json!({ "type": "instant", "selected_offers": [offer["id"]], "passengers": [{ "id": offer["passengers"][0]["id"] }], "payments": [] }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "validation_required");
    assert!(
        body["errors"][0]["source"]["field"]
            .as_str()
            .unwrap()
            .starts_with("passengers[0].")
    );
    let mut wrong = offer.clone();
    wrong["passengers"][0]["id"] = json!("pas_somebody_else");
    let (status, body) = app.book(&wrong, None, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["source"]["field"], "passengers");
    let mut unknown = offer.clone();
    unknown["id"] = json!("off_0000nothing");
    let (status, body) = app.book(&unknown, None, json!({})).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(app.ledger().orders.is_empty());
}

#[tokio::test]
async fn cancellation_refunds_per_conditions_and_frees_seats() {
    let app = spawn().await;
    let data = app.search("JFK", "LAX", adults(2)).await;
    let offer = &data["offers"][0];
    let (_, order) = app.book(offer, None, json!({})).await;
    let order_id = order["data"]["id"].as_str().unwrap();
    assert!(app.ledger().seats_sold > 0);
    let (status, quote) = app
        .duffel_post("/air/order_cancellations", json!({ "order_id": order_id }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{quote}");
    let cancellation = &quote["data"];
    assert!(cancellation["id"].as_str().unwrap().starts_with("ore_"));
    assert!(cancellation["confirmed_at"].is_null());
    let total = minor(&offer["total_amount"], &offer["total_currency"]);
    let refund = minor(
        &cancellation["refund_amount"],
        &cancellation["refund_currency"],
    );
    let condition = &offer["conditions"]["refund_before_departure"];
    let expected = if condition["allowed"] == true {
        (total - minor(&condition["penalty_amount"], &condition["penalty_currency"])).max(0)
    } else {
        0
    };
    assert_eq!(refund, expected);
    assert!(!app.ledger().orders[0].cancelled, "not before confirmation");

    let confirm_path = format!(
        "/air/order_cancellations/{}/actions/confirm",
        cancellation["id"].as_str().unwrap()
    );
    let (status, confirmed) = app.duffel_post(&confirm_path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert!(confirmed["data"]["confirmed_at"].is_string());
    let (_, twice) = app.duffel_post(&confirm_path, json!({})).await;
    assert_eq!(
        twice["data"]["confirmed_at"],
        confirmed["data"]["confirmed_at"]
    );
    let (_, fetched) = app.duffel_get(&format!("/air/orders/{order_id}")).await;
    assert!(fetched["data"]["cancelled_at"].is_string());
    let ledger = app.ledger();
    assert!(ledger.orders[0].cancelled);
    assert_eq!(ledger.seats_sold, 0);
    assert_eq!(ledger.order_cancellations.len(), 1);
    assert!(ledger.order_cancellations[0].confirmed);
    assert_eq!(ledger.order_cancellations[0].refund_amount, refund);
    let (status, body) = app
        .duffel_post("/air/order_cancellations", json!({ "order_id": order_id }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["code"], "already_cancelled");
}

#[tokio::test]
async fn an_order_whose_answer_times_out_exists_and_can_be_found_by_metadata() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        timeout_delay: Duration::from_secs(20),
        ..Faults::default()
    });
    app.sandbox.push_script(FaultScript {
        orders: vec![OrderFault::TimeoutAfterEffect],
        ..FaultScript::default()
    });
    let data = app.search("SEA", "SFO", adults(1)).await;
    let offer = data["offers"][0].clone();
    let booking = app.book(&offer, None, json!({ "idempotency_key": "saga-9:order:0" }));
    let timed_out = tokio::time::timeout(Duration::from_millis(500), booking).await;
    assert!(timed_out.is_err(), "the answer is held back");
    let (_, page) = app.duffel_get("/air/orders?limit=200").await;
    let found: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["metadata"]["idempotency_key"] == "saga-9:order:0")
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(app.ledger().orders.len(), 1);
}
