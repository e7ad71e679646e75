//! Stripe refunds.

use reqwest::StatusCode;

use crate::helpers::{json_of, spawn};

#[tokio::test]
async fn refunds_never_exceed_what_was_received() {
    let app = spawn().await;
    let (_, intent) = app.authorize("10000", "pm_card_visa", "saga-refund").await;
    let id = intent["id"].as_str().unwrap().to_owned();
    let early = [("payment_intent", id.as_str())];
    let (status, body) = json_of(app.stripe_post("/v1/refunds", &early, None).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not captured yet: {body}");
    app.stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    let partial = [
        ("payment_intent", id.as_str()),
        ("amount", "3000"),
        ("reason", "requested_by_customer"),
        ("metadata[saga_id]", "saga-refund"),
    ];
    let (status, refund) = json_of(
        app.stripe_post("/v1/refunds", &partial, Some("refund-1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refund}");
    assert!(refund["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(
        (
            refund["object"].as_str(),
            refund["status"].as_str(),
            refund["amount"].as_i64()
        ),
        (Some("refund"), Some("succeeded"), Some(3000))
    );
    let (_, replay) = json_of(
        app.stripe_post("/v1/refunds", &partial, Some("refund-1"))
            .await,
    )
    .await;
    assert_eq!(replay["id"], refund["id"]);
    let too_much = [("payment_intent", id.as_str()), ("amount", "7001")];
    let (status, body) = json_of(app.stripe_post("/v1/refunds", &too_much, None).await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("amount_too_large"))
    );
    let (status, rest) = json_of(app.stripe_post("/v1/refunds", &early, None).await).await;
    assert_eq!(
        (status, rest["amount"].as_i64()),
        (StatusCode::OK, Some(7000))
    );
    let (status, body) = json_of(app.stripe_post("/v1/refunds", &early, None).await).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("charge_already_refunded"))
    );
    let (status, fetched) = app
        .stripe_get(&format!("/v1/refunds/{}", refund["id"].as_str().unwrap()))
        .await;
    assert_eq!(
        (status, fetched["amount"].as_i64()),
        (StatusCode::OK, Some(3000))
    );
    let ledger = app.ledger();
    assert_eq!(ledger.refunds.len(), 2);
    assert_eq!(ledger.refunds[0].metadata["saga_id"], "saga-refund");
    assert_eq!(
        ledger.refunds[0].reason.as_deref(),
        Some("requested_by_customer")
    );
    assert_eq!(ledger.payment_intents[0].amount_refunded, 10000);
    assert_eq!(ledger.net_received()["usd"], 0);
}
