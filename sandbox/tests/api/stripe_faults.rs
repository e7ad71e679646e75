//! Stripe under faults: concurrent keys, lapsed holds, transient errors and
//! answers that time out after the effect.

use std::time::Duration;

use autobook_sandbox::{AuthorizationFault, CaptureFault, FaultScript, Faults};
use reqwest::{Method, StatusCode};

use crate::helpers::{json_of, spawn};

#[tokio::test]
async fn a_concurrent_request_with_the_same_key_gets_409() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        latency_ms: (1500, 1500),
        ..Faults::default()
    });
    let form = [("amount", "900"), ("currency", "usd")];
    let (a, b) = tokio::join!(
        app.stripe_post("/v1/payment_intents", &form, Some("racing")),
        app.stripe_post("/v1/payment_intents", &form, Some("racing")),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let conflict = if a.status() == StatusCode::CONFLICT {
        a
    } else {
        b
    };
    let (_, body) = json_of(conflict).await;
    assert_eq!(body["error"]["type"], "idempotency_error");
    assert_eq!(app.ledger().payment_intents.len(), 1);
}

#[tokio::test]
async fn a_lapsed_hold_cancels_the_intent_and_every_retry_fails_alike() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        captures: vec![CaptureFault::Lapsed],
        ..FaultScript::default()
    });
    let (_, intent) = app.authorize("8000", "pm_card_visa", "saga-lapse").await;
    let path = format!(
        "/v1/payment_intents/{}/capture",
        intent["id"].as_str().unwrap()
    );
    let (status, body) = json_of(app.stripe_post(&path, &[], Some("cap-1")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "payment_intent_unexpected_state");
    assert_eq!(
        body["error"]["payment_intent"]["cancellation_reason"],
        "automatic"
    );
    let (status, replay) = json_of(app.stripe_post(&path, &[], Some("cap-1")).await).await;
    assert_eq!((status, &replay), (StatusCode::BAD_REQUEST, &body));
    let (status, _) = json_of(app.stripe_post(&path, &[], Some("cap-2")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let entry = &app.ledger().payment_intents[0];
    assert_eq!(
        (entry.status.as_str(), entry.cancellation_reason.as_deref()),
        ("canceled", Some("automatic"))
    );
    assert_eq!((entry.amount_capturable, entry.amount_received), (0, 0));
}

#[tokio::test]
async fn holds_lapse_after_seven_days() {
    let app = spawn().await;
    let (_, intent) = app.authorize("8000", "pm_card_visa", "saga-week").await;
    app.sandbox
        .advance_clock(Duration::from_secs(7 * 24 * 3600 + 60));
    let (_, fetched) = app
        .stripe_get(&format!(
            "/v1/payment_intents/{}",
            intent["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(fetched["status"], "canceled");
    assert_eq!(fetched["cancellation_reason"], "automatic");
}

#[tokio::test]
async fn a_transient_error_is_not_stored_and_a_timeout_after_effect_is() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        timeout_delay: Duration::from_secs(20),
        ..Faults::default()
    });
    app.sandbox.push_script(FaultScript {
        authorizations: vec![AuthorizationFault::Transient],
        captures: vec![CaptureFault::TimeoutAfterEffect],
        ..FaultScript::default()
    });
    let response = app
        .stripe_post(
            "/v1/payment_intents",
            &[
                ("amount", "100"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
            Some("auth-1"),
        )
        .await;
    assert!(matches!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ));
    assert_eq!(response.headers()["stripe-should-retry"], "true");
    assert!(app.ledger().payment_intents.is_empty(), "nothing happened");
    let (status, intent) = app.authorize("100", "pm_card_visa", "auth").await;
    assert_eq!(status, StatusCode::OK);
    let retried = app
        .stripe_post(
            "/v1/payment_intents",
            &[
                ("amount", "100"),
                ("currency", "usd"),
                ("capture_method", "manual"),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
            Some("auth-1"),
        )
        .await;
    assert_eq!(retried.status(), StatusCode::OK, "the key was not burnt");
    let path = format!(
        "/v1/payment_intents/{}/capture",
        intent["id"].as_str().unwrap()
    );
    let hanging = app
        .stripe(Method::POST, &path)
        .header("Idempotency-Key", "cap")
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(hanging.is_err(), "the answer is held back");
    assert_eq!(
        app.ledger().payment_intents[0].status,
        "succeeded",
        "the effect happened"
    );
    let replay = app.stripe_post(&path, &[], Some("cap")).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let (status, body) = json_of(replay).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("succeeded"))
    );
}
