//! The list endpoints the reconciliation job and the payment worker rely
//! on: `GET /v1/payment_intents` by `created` window, `customer`, with
//! `limit`, `starting_after` and `ending_before`; `GET /v1/refunds` by
//! `created` window and `payment_intent`, paginated. Newest first, and
//! always up to date (no search lag).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, json_of, spawn};

/// Creates an intent for `customer`; returns (id, created).
async fn intent(app: &TestApp, customer: &str) -> (String, i64) {
    let form = [
        ("amount", "1000"),
        ("currency", "usd"),
        ("customer", customer),
    ];
    let (status, body) = json_of(app.stripe_post("/v1/payment_intents", &form, None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["created"].as_i64().unwrap(),
    )
}

async fn ids(app: &TestApp, path: &str) -> (Vec<String>, bool) {
    let (status, body) = app.stripe_get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    let ids = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|object| object["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body["has_more"] == Value::Bool(true))
}

#[tokio::test]
async fn intents_are_listed_by_creation_window_and_customer_both_ways() {
    let app = spawn().await;
    let minute = Duration::from_secs(60);
    let (a, t_a) = intent(&app, "cus_alice").await;
    app.sandbox.advance_clock(minute);
    let (b, t_b) = intent(&app, "cus_bob").await;
    app.sandbox.advance_clock(minute);
    let (c, t_c) = intent(&app, "cus_alice").await;
    app.sandbox.advance_clock(minute);
    let (d, _) = intent(&app, "cus_alice").await;

    let (found, _) = ids(&app, &format!("/v1/payment_intents?created[gte]={t_b}")).await;
    assert_eq!(found, [d.clone(), c.clone(), b.clone()], "newest first");
    let window = format!("/v1/payment_intents?created[gt]={t_a}&created[lte]={t_c}");
    assert_eq!(ids(&app, &window).await.0, [c.clone(), b.clone()]);
    let before = format!("/v1/payment_intents?created[lt]={t_b}");
    assert_eq!(ids(&app, &before).await.0, vec![a.clone()]);
    assert_eq!(
        ids(&app, &format!("/v1/payment_intents?created={t_c}"))
            .await
            .0,
        vec![c.clone()]
    );

    let alice = "/v1/payment_intents?customer=cus_alice&limit=2";
    assert_eq!(ids(&app, alice).await, (vec![d.clone(), c.clone()], true));
    let next = format!("{alice}&starting_after={c}");
    assert_eq!(ids(&app, &next).await, (vec![a.clone()], false));
    let back = format!("{alice}&ending_before={a}");
    assert_eq!(ids(&app, &back).await, (vec![d.clone(), c.clone()], false));
    let back_one = format!("/v1/payment_intents?limit=1&ending_before={b}");
    assert_eq!(ids(&app, &back_one).await, (vec![c.clone()], true));

    for bad in [
        "/v1/payment_intents?created[gte]=yesterday",
        "/v1/payment_intents?status=succeeded",
        "/v1/payment_intents?starting_after=pi_missing",
        &format!("/v1/payment_intents?starting_after={a}&ending_before={d}"),
    ] {
        let (status, body) = app.stripe_get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body["error"]["param"].is_string(), "{bad}: {body}");
    }
    let (_, body) = app
        .stripe_get("/v1/payment_intents?created[gte]=yesterday")
        .await;
    assert_eq!(body["error"]["param"], "created[gte]");
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("yesterday")
    );
}

#[tokio::test]
async fn refunds_are_listed_by_creation_window_and_intent_page_by_page() {
    let app = spawn().await;
    let (_, intent) = app.authorize("9000", "pm_card_visa", "refunds").await;
    let id = app.capture(&intent).await;
    let mut refunds = Vec::new();
    for _ in 0..3 {
        let (status, refund) = json_of(
            app.stripe_post(
                "/v1/refunds",
                &[("payment_intent", &id), ("amount", "1000")],
                None,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{refund}");
        refunds.push((
            refund["id"].as_str().unwrap().to_owned(),
            refund["created"].as_i64().unwrap(),
        ));
        app.sandbox.advance_clock(Duration::from_secs(60));
    }
    let (r0, r1, r2) = (refunds[0].clone(), refunds[1].clone(), refunds[2].clone());
    let since = format!("/v1/refunds?payment_intent={id}&created[gte]={}", r1.1);
    assert_eq!(ids(&app, &since).await.0, [r2.0.clone(), r1.0.clone()]);
    let first_page = format!("/v1/refunds?payment_intent={id}&limit=2");
    assert_eq!(
        ids(&app, &first_page).await,
        (vec![r2.0.clone(), r1.0.clone()], true)
    );
    let second_page = format!("{first_page}&starting_after={}", r1.0);
    assert_eq!(ids(&app, &second_page).await, (vec![r0.0.clone()], false));
    let until = format!("/v1/refunds?created[lt]={}", r1.1);
    assert_eq!(ids(&app, &until).await.0, vec![r0.0.clone()]);
    let (status, _) = app
        .stripe_get("/v1/refunds?payment_intent=pi_missing")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
