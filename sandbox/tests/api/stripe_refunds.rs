//! Stripe refunds.

use autobook_sandbox::{FaultScript, RefundFault};
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

/// A captured intent of `amount` cents; returns its id.
async fn captured(app: &crate::helpers::TestApp, amount: &str, saga: &str) -> String {
    let (_, intent) = app.authorize(amount, "pm_card_visa", saga).await;
    let id = intent["id"].as_str().unwrap().to_owned();
    let (status, _) = json_of(
        app.stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    id
}

#[tokio::test]
async fn refunds_list_newest_first_by_payment_intent_with_their_metadata() {
    let app = spawn().await;
    let first = captured(&app, "10000", "saga-list-1").await;
    let other = captured(&app, "5000", "saga-list-2").await;
    for (intent, amount, key) in [
        (&first, "1000", "k1"),
        (&other, "500", "k2"),
        (&first, "2000", "k3"),
        (&first, "3000", "k4"),
    ] {
        let form = [
            ("payment_intent", intent.as_str()),
            ("amount", amount),
            ("metadata[idempotency_key]", key),
        ];
        let (status, body) = json_of(app.stripe_post("/v1/refunds", &form, Some(key)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, page) = app
        .stripe_get(&format!("/v1/refunds?payment_intent={first}&limit=2"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        (page["object"].as_str(), page["url"].as_str()),
        (Some("list"), Some("/v1/refunds"))
    );
    let keys = |page: &serde_json::Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["metadata"]["idempotency_key"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(keys(&page), ["k4", "k3"]);
    assert_eq!(page["has_more"], true);
    let last = page["data"][1]["id"].as_str().unwrap();
    let (_, rest) = app
        .stripe_get(&format!(
            "/v1/refunds?payment_intent={first}&limit=2&starting_after={last}"
        ))
        .await;
    assert_eq!(keys(&rest), ["k1"]);
    assert_eq!(rest["has_more"], false);
    assert_eq!(
        rest["data"][0]["payment_intent"].as_str(),
        Some(first.as_str())
    );
    let (_, all) = app.stripe_get("/v1/refunds").await;
    assert_eq!(keys(&all), ["k4", "k3", "k2", "k1"]);

    let (status, body) = app.stripe_get("/v1/refunds?payment_intent=pi_nope").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("resource_missing"))
    );
    let (status, body) = app.stripe_get("/v1/refunds?customer=cus_1").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("parameter_unknown"))
    );
}

#[tokio::test]
async fn scripted_refund_faults_take_effect_or_not_as_named() {
    let app = spawn().await;
    let id = captured(&app, "10000", "saga-refund-faults").await;
    app.sandbox.push_script(FaultScript {
        refunds: vec![
            RefundFault::Transient,
            RefundFault::ServerError,
            RefundFault::ServerErrorAfterEffect,
        ],
        ..FaultScript::default()
    });
    let form = [("payment_intent", id.as_str()), ("amount", "1000")];
    let transient = app.stripe_post("/v1/refunds", &form, Some("r-1")).await;
    assert!(matches!(
        transient.status(),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ));
    let (status, _) = json_of(app.stripe_post("/v1/refunds", &form, Some("r-1")).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(app.ledger().refunds.is_empty(), "nothing refunded yet");
    let (status, _) = json_of(app.stripe_post("/v1/refunds", &form, Some("r-1")).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.ledger().refunds.len(), 1, "refunded, then the 500");
    let replay = app.stripe_post("/v1/refunds", &form, Some("r-1")).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.ledger().refunds.len(),
        1,
        "the 500 is replayed, not redone"
    );
}

#[tokio::test]
async fn refunds_are_listed_by_creation_time() {
    let app = spawn().await;
    let (_, intent) = app.authorize("5000", "pm_card_visa", "saga-window").await;
    let id = intent["id"].as_str().unwrap().to_owned();
    app.stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    let (status, refund) = json_of(
        app.stripe_post("/v1/refunds", &[("payment_intent", id.as_str())], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refund}");
    let created = refund["created"].as_i64().unwrap();
    for (bound, expected) in [("gte", 1), ("lte", 1), ("gt", 0), ("lt", 0)] {
        let (status, body) = app
            .stripe_get(&format!("/v1/refunds?created[{bound}]={created}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"].as_array().unwrap().len(), expected, "{bound}");
    }
}
