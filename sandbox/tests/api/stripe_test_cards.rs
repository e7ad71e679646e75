//! Stripe's test cards for the hard cases: `pm_card_visa_chargeDeclined`
//! (declined at confirm) and `pm_card_authenticationRequired` (3-D Secure:
//! `requires_action` with nothing held, or `authentication_required` when
//! the caller says it cannot act), with their events.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, json_of, spawn};

/// Creates a manual-capture intent with `pm`, unconfirmed; returns its id.
async fn unconfirmed(app: &TestApp, pm: &str) -> String {
    let form = [
        ("amount", "6400"),
        ("currency", "usd"),
        ("capture_method", "manual"),
        ("payment_method", pm),
    ];
    let (status, intent) = json_of(app.stripe_post("/v1/payment_intents", &form, None).await).await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    intent["id"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    json_of(app.stripe_post(path, form, None).await).await
}

/// The types of the events of intent `id`, oldest first.
fn events_of(app: &TestApp, id: &str) -> Vec<String> {
    app.ledger()
        .webhooks
        .iter()
        .filter(|w| w.object_id == id)
        .map(|w| w.event_type.clone())
        .collect()
}

#[tokio::test]
async fn a_visa_that_is_declined_at_confirm() {
    let app = spawn().await;
    let id = unconfirmed(&app, "pm_card_visa_chargeDeclined").await;
    let (status, error) = post(&app, &format!("/v1/payment_intents/{id}/confirm"), &[]).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    let error = &error["error"];
    assert_eq!(
        (
            error["type"].as_str(),
            error["code"].as_str(),
            error["decline_code"].as_str()
        ),
        (
            Some("card_error"),
            Some("card_declined"),
            Some("generic_decline")
        )
    );
    assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
    assert_eq!(app.ledger().payment_intents[0].amount_capturable, 0);
    assert_eq!(
        events_of(&app, &id),
        ["payment_intent.created", "payment_intent.payment_failed"]
    );
}

#[tokio::test]
async fn a_card_that_needs_3d_secure_waits_for_an_action_holding_nothing() {
    let app = spawn().await;
    let id = unconfirmed(&app, "pm_card_authenticationRequired").await;
    let (status, intent) = post(&app, &format!("/v1/payment_intents/{id}/confirm"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    assert_eq!(intent["status"], "requires_action");
    assert_eq!(intent["next_action"]["type"], "use_stripe_sdk");
    assert_eq!(intent["amount_capturable"], 0);
    let (status, error) = post(&app, &format!("/v1/payment_intents/{id}/capture"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "payment_intent_unexpected_state");
    let (status, canceled) = post(
        &app,
        &format!("/v1/payment_intents/{id}/cancel"),
        &[("cancellation_reason", "abandoned")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{canceled}");
    assert_eq!(canceled["status"], "canceled");
    assert!(canceled["next_action"].is_null());
    assert_eq!(
        events_of(&app, &id),
        [
            "payment_intent.created",
            "payment_intent.requires_action",
            "payment_intent.canceled"
        ]
    );
    assert_eq!(app.ledger().net_received()["usd"], 0);
}

#[tokio::test]
async fn asking_not_to_stop_for_3d_secure_fails_with_authentication_required() {
    let app = spawn().await;
    for option in ["error_on_requires_action", "off_session"] {
        let id = unconfirmed(&app, "pm_card_authenticationRequired").await;
        let (status, error) = post(
            &app,
            &format!("/v1/payment_intents/{id}/confirm"),
            &[(option, "true")],
        )
        .await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{option}: {error}");
        let error = &error["error"];
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("card_error"), Some("authentication_required"))
        );
        let intent = &error["payment_intent"];
        assert_eq!(intent["status"], "requires_payment_method");
        assert_eq!(
            intent["last_payment_error"]["code"],
            "authentication_required"
        );
        assert_eq!(
            events_of(&app, &id),
            ["payment_intent.created", "payment_intent.payment_failed"]
        );
    }
    // Confirming at creation stops at requires_action too.
    let (status, intent) = app
        .authorize("6400", "pm_card_authenticationRequired", "at-once")
        .await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    assert_eq!(intent["status"], "requires_action");
}
