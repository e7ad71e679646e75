//! Stripe search is not read-after-write: it answers with each intent as it
//! stood `stripe_search_lag` ago (30 s by default), while retrieval and
//! the list endpoints are always up to date.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{json_of, spawn};

const SEARCH: &str = "stripe GET /v1/payment_intents/search";

#[tokio::test]
async fn search_lags_writes_while_retrieval_and_lists_do_not() {
    let app = spawn().await;
    let (status, intent) = app.authorize("5000", "pm_card_visa", "lagged").await;
    assert_eq!(status, StatusCode::OK);
    let id = intent["id"].as_str().unwrap().to_owned();

    assert!(
        app.search_saga("lagged").await.is_empty(),
        "too new to be seen"
    );
    let (_, list) = app.stripe_get("/v1/payment_intents").await;
    assert_eq!(list["data"][0]["id"], id.as_str(), "lists are up to date");
    let (_, fetched) = app.stripe_get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(fetched["status"], "requires_capture");

    app.sandbox.advance_clock(Duration::from_secs(31));
    let seen = app.search_saga("lagged").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["status"], "requires_capture");

    app.capture(&intent).await;
    let (status, _) = json_of(
        app.stripe_post("/v1/refunds", &[("payment_intent", &id)], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let stale = app.search_saga("lagged").await;
    assert_eq!(
        (
            stale[0]["status"].as_str(),
            stale[0]["amount_received"].as_i64()
        ),
        (Some("requires_capture"), Some(0)),
        "the earlier state"
    );
    let (_, fetched) = app.stripe_get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(fetched["status"], "succeeded");
    let (_, refunds) = app
        .stripe_get(&format!("/v1/refunds?payment_intent={id}"))
        .await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1);

    app.sandbox.advance_clock(Duration::from_secs(31));
    let caught_up = app.search_saga("lagged").await;
    assert_eq!(caught_up[0]["status"], "succeeded");
    assert_eq!(caught_up[0]["amount_received"], 5000);

    // Hidden once, stale once; up-to-date answers are not counted.
    assert_eq!(app.injected("search_lagged"), 2);
    assert_eq!(app.injected_in(SEARCH, "search_lagged"), 2);
}

#[tokio::test]
async fn the_lag_is_set_over_the_admin_api_and_zero_turns_it_off() {
    let app = spawn().await;
    let (status, behaviour) =
        json_of(app.admin(Method::GET, "/behaviour").send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(behaviour["stripe_search_lag_ms"], 30_000, "on by default");

    let five_seconds = json!({ "stripe_search_lag_ms": 5000 });
    let (status, _) = json_of(
        app.admin(Method::PUT, "/behaviour")
            .json(&five_seconds)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.authorize("700", "pm_card_visa", "five").await;
    assert!(app.search_saga("five").await.is_empty());
    app.sandbox.advance_clock(Duration::from_secs(6));
    assert_eq!(app.search_saga("five").await.len(), 1);

    let (status, _) = json_of(
        app.admin(Method::PUT, "/behaviour")
            .json(&json!({ "stripe_search_lag_ms": 0 }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.authorize("700", "pm_card_visa", "now").await;
    assert_eq!(app.search_saga("now").await.len(), 1, "up to date");
    assert_eq!(app.sandbox.behaviour().stripe_search_lag, Duration::ZERO);
    assert_eq!(app.injected("search_lagged"), 1);

    let (status, error) = json_of(
        app.admin(Method::PUT, "/behaviour")
            .json(&json!({ "stripe_search_lag_ms": 7_200_000 }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("stripe_search_lag_ms")
    );
}
