//! Every injected fault is counted in the ledger, by kind (`injected`,
//! every kind listed) and by call (`injected_by_call`): throttles (429),
//! transient 503s, slow requests, and the faults of each operation.

use std::time::{Duration, Instant};

use autobook_sandbox::{CaptureFault, EmailFault, FaultScript, Faults, OrderFault};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{adults, json_of, spawn};

const KINDS: [&str; 15] = [
    "transient",
    "rate_limited",
    "slow",
    "server_error",
    "server_error_after_effect",
    "timeout_after_effect",
    "offer_expired",
    "price_changed",
    "order_rejected",
    "capture_lapsed",
    "email_rejected",
    "search_lagged",
    "webhook_delayed",
    "webhook_duplicated",
    "webhook_reordered",
];

#[tokio::test]
async fn every_kind_is_listed_from_the_start_over_the_admin_api() {
    let app = spawn().await;
    let (status, ledger) = json_of(app.admin(Method::GET, "/ledger").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    for kind in KINDS {
        assert_eq!(ledger["injected"][kind], 0, "{kind}");
    }
    assert_eq!(ledger["injected"].as_object().unwrap().len(), KINDS.len());
    assert_eq!(ledger["injected_by_call"], json!({}));
}

#[tokio::test]
async fn throttles_are_counted_apart_from_the_enforced_limit() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        rate_limited_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..3 {
        let (status, body) = app.stripe_get("/v1/payment_intents").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
    let (status, body) = app.duffel_get("/air/orders").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["errors"][0]["code"], "rate_limit_exceeded");
    let email =
        json!({ "from": "a@autobook.test", "to": "b@example.com", "subject": "s", "text": "t" });
    let response = app.send_email(&email, Some("throttled")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.injected("rate_limited"), 5);
    assert_eq!(app.injected("transient"), 0);
    assert_eq!(
        app.injected_in("stripe GET /v1/payment_intents", "rate_limited"),
        3
    );
    assert_eq!(app.injected_in("duffel GET /air/orders", "rate_limited"), 1);
    assert_eq!(app.injected_in("email POST /emails", "rate_limited"), 1);
    assert_eq!(app.ledger().traffic["stripe"].too_many_requests, 3);
    assert!(app.ledger().emails.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn transient_errors_are_counted_as_what_was_answered() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        transient_error_rate: 1.0,
        ..Faults::default()
    });
    let mut answered = (0, 0);
    for _ in 0..12 {
        match app.stripe_get("/v1/refunds").await.0 {
            StatusCode::TOO_MANY_REQUESTS => answered.0 += 1,
            StatusCode::SERVICE_UNAVAILABLE => answered.1 += 1,
            other => panic!("{other}"),
        }
    }
    assert_eq!(
        (app.injected("rate_limited"), app.injected("transient")),
        answered
    );
}

#[tokio::test]
async fn slow_requests_take_the_slow_delay_and_are_counted() {
    let app = spawn().await;
    let slow = Duration::from_millis(300);
    app.sandbox.set_faults(Faults {
        slow_rate: 1.0,
        slow_delay: slow,
        ..Faults::default()
    });
    let started = Instant::now();
    let (status, _) = app.authorize("100", "pm_card_visa", "slow").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= slow);
    let started = Instant::now();
    let (status, _) = app.duffel_get("/air/orders").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= slow);
    assert_eq!(app.injected("slow"), 2);
    assert_eq!(
        app.injected_in("stripe POST /v1/payment_intents", "slow"),
        1
    );
    assert_eq!(app.injected_in("duffel GET /air/orders", "slow"), 1);
}

#[tokio::test]
async fn the_faults_of_each_operation_are_counted_once_where_they_happen() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        orders: vec![
            OrderFault::OfferExpired,
            OrderFault::PriceChanged,
            OrderFault::Rejected,
            OrderFault::Transient,
        ],
        captures: vec![CaptureFault::Lapsed],
        emails: vec![EmailFault::Rejected],
        ..FaultScript::default()
    });
    let offers = app.search("JFK", "LAX", adults(1)).await["offers"].clone();
    for n in 0..4 {
        let (status, _) = app.book(&offers[n], None, json!({})).await;
        assert!(
            status.is_client_error() || status.is_server_error(),
            "{status}"
        );
    }
    // Asking again about the expired offer meets the same fate, not a new fault.
    app.book(&offers[0], None, json!({})).await;
    let (_, intent) = app.authorize("100", "pm_card_visa", "lapse").await;
    let (status, _) = json_of(
        app.stripe_post(
            &format!(
                "/v1/payment_intents/{}/capture",
                intent["id"].as_str().unwrap()
            ),
            &[],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let email =
        json!({ "from": "a@autobook.test", "to": "b@example.com", "subject": "s", "text": "t" });
    let (status, _) = json_of(app.send_email(&email, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let orders = "duffel POST /air/orders";
    for kind in ["offer_expired", "price_changed", "order_rejected"] {
        assert_eq!(app.injected(kind), 1, "{kind}");
        assert_eq!(app.injected_in(orders, kind), 1, "{kind}");
    }
    let transients = app.injected_in(orders, "transient") + app.injected_in(orders, "rate_limited");
    assert_eq!(transients, 1);
    assert_eq!(
        app.injected_in(
            "stripe POST /v1/payment_intents/{id}/capture",
            "capture_lapsed"
        ),
        1
    );
    assert_eq!(app.injected_in("email POST /emails", "email_rejected"), 1);
}
