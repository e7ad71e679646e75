//! The admin API and the fault controls.

use autobook_sandbox::{Faults, Ledger};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{adults, json_of, spawn};

#[tokio::test]
async fn health_faults_script_clock_and_ledger_over_http() {
    let app = spawn().await;
    let admin = &app.sandbox.admin_url;
    let (status, health) = json_of(
        app.http
            .get(format!("{admin}/health"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, health),
        (StatusCode::OK, json!({ "status": "ok" }))
    );

    let mixed = Faults::scenario("mixed").unwrap();
    let (status, _) = json_of(
        app.http
            .put(format!("{admin}/faults"))
            .json(&mixed)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, current) = json_of(
        app.http
            .get(format!("{admin}/faults"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(current["offer_expired_rate"], 0.08);
    assert_eq!(current["latency_ms"], json!([2, 20]));
    assert_eq!(current["timeout_delay_ms"], 30000);
    assert_eq!(app.sandbox.faults(), mixed);
    let (status, _) = json_of(
        app.http
            .put(format!("{admin}/faults"))
            .json(&json!({ "transient_error_rate": 2.0 }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.sandbox.set_faults(Faults::default());

    let script = json!({ "orders": ["rejected", "ok"], "emails": ["rejected"] });
    let (status, remaining) = json_of(
        app.http
            .post(format!("{admin}/faults/script"))
            .json(&script)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(remaining["orders"], json!(["rejected", "ok"]));
    let (status, _) = json_of(
        app.http
            .post(format!("{admin}/faults/script"))
            .json(&json!({ "orders": ["boom"] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Orders consume the script in order: the first refused, the second fine.
    let data = app.search("JFK", "SFO", adults(1)).await;
    let (_, refused) = app.book(&data["offers"][0], None, json!({})).await;
    assert_eq!(refused["errors"][0]["type"], "airline_error");
    let (status, _) = app.book(&data["offers"][1], None, json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, remaining) = json_of(
        app.http
            .get(format!("{admin}/faults/script"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(remaining["orders"], json!([]));
    assert_eq!(remaining["emails"], json!(["rejected"]));

    let (_, before) = json_of(app.http.get(format!("{admin}/clock")).send().await.unwrap()).await;
    let (_, after) = json_of(
        app.http
            .post(format!("{admin}/clock/advance"))
            .json(&json!({ "seconds": 3600 }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(after["now"].as_str() > before["now"].as_str());

    let (status, ledger) = json_of(
        app.http
            .get(format!("{admin}/ledger"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for key in [
        "payment_intents",
        "refunds",
        "orders",
        "order_cancellations",
        "emails",
        "offer_requests",
        "seats_sold",
    ] {
        assert!(ledger.get(key).is_some(), "ledger has {key}");
    }
    let parsed: Ledger = serde_json::from_value(ledger.clone()).unwrap();
    assert_eq!(parsed, app.ledger());
    let order: &Value = &ledger["orders"][0];
    assert!(order["total_amount"].is_i64());
    assert_eq!(order["total_currency"], "USD");
    let (status, _) = json_of(app.http.get(format!("{admin}/nope")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn flaky_transients_happen_before_any_effect() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        transient_error_rate: 1.0,
        ..Faults::default()
    });
    let (status, body) = app.duffel_get("/air/orders").await;
    assert!(
        matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ),
        "{status}"
    );
    assert!(matches!(
        body["errors"][0]["code"].as_str(),
        Some("rate_limit_exceeded" | "service_unavailable")
    ));
    let (status, _) = app.authorize("100", "pm_card_visa", "flaky").await;
    assert!(matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ));
    let ledger = app.ledger();
    assert!(ledger.payment_intents.is_empty() && ledger.orders.is_empty());
    app.sandbox.set_faults(Faults::default());
    let (status, _) = app.authorize("100", "pm_card_visa", "flaky").await;
    assert_eq!(status, StatusCode::OK, "the key was not stored");
}

#[tokio::test]
async fn shutdown_is_graceful() {
    let app = spawn().await;
    let url = app.sandbox.duffel_url.clone();
    app.sandbox.shutdown().await;
    assert!(
        app.http
            .get(format!("{url}/air/orders"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_injected_duffel_throttle_lifts_within_seconds() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        transient_error_rate: 1.0,
        ..Faults::default()
    });
    let mut throttled = None;
    for _ in 0..20 {
        let response = app
            .duffel(reqwest::Method::GET, "/air/orders")
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            throttled = Some(response);
            break;
        }
    }
    let response = throttled.expect("a 429 among 20 injected transients");
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("ratelimit-remaining"), "0");
    let reset =
        chrono::DateTime::parse_from_rfc2822(&header("ratelimit-reset").replace("GMT", "+0000"))
            .unwrap();
    let wait = reset
        .signed_duration_since(chrono::Utc::now())
        .num_seconds();
    assert!(
        wait <= 2,
        "a transient throttle must not last the whole window ({wait} s)"
    );
}
