//! Stripe payment intents: form parsing, manual capture, declines,
//! idempotency, state errors, listing and search, authorization.

use autobook_sandbox::Behaviour;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{STRIPE_KEY, json_of, spawn};

#[tokio::test]
async fn bracket_metadata_is_parsed_and_recorded() {
    let app = spawn().await;
    let form = [
        ("amount", "35130"),
        ("currency", "USD"),
        ("capture_method", "manual"),
        ("payment_method", "pm_card_visa"),
        ("customer", "cus_Test1"),
        ("metadata[saga_id]", "saga-42"),
        ("metadata[step]", "authorize"),
        ("payment_method_types[]", "card"),
    ];
    let response = app.stripe_post("/v1/payment_intents", &form, None).await;
    assert!(
        response.headers()["request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let (status, intent) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{intent}");
    assert!(intent["id"].as_str().unwrap().starts_with("pi_"));
    assert_eq!(intent["object"], "payment_intent");
    assert_eq!(intent["currency"], "usd");
    assert_eq!(intent["status"], "requires_confirmation");
    assert_eq!(intent["metadata"]["saga_id"], "saga-42");
    assert_eq!(intent["metadata"]["step"], "authorize");
    assert_eq!(intent["payment_method_types"][0], "card");
    let ledger = app.ledger();
    assert_eq!(ledger.payment_intents.len(), 1);
    let entry = &ledger.payment_intents[0];
    assert_eq!((entry.amount, entry.currency.as_str()), (35130, "usd"));
    assert_eq!(entry.metadata["step"], "authorize");
    assert_eq!(entry.customer.as_deref(), Some("cus_Test1"));
    let (status, error) = json_of(
        app.stripe_post(
            "/v1/payment_intents",
            &[("amount", "10"), ("currency", "usd"), ("colour", "red")],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["code"], "parameter_unknown");
    let (status, error) = json_of(
        app.stripe_post("/v1/payment_intents", &[("currency", "usd")], None)
            .await,
    )
    .await;
    assert_eq!(
        (status, error["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("amount"))
    );
}

#[tokio::test]
async fn manual_capture_flow() {
    let app = spawn().await;
    let form = [
        ("amount", "5000"),
        ("currency", "usd"),
        ("capture_method", "manual"),
        ("payment_method", "pm_card_visa"),
    ];
    let (_, intent) = json_of(
        app.stripe_post("/v1/payment_intents", &form, Some("k-create"))
            .await,
    )
    .await;
    let id = intent["id"].as_str().unwrap();
    let (status, confirmed) = json_of(
        app.stripe_post(
            &format!("/v1/payment_intents/{id}/confirm"),
            &[],
            Some("k-confirm"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["status"], "requires_capture");
    assert_eq!(confirmed["amount_capturable"], 5000);
    assert_eq!(confirmed["amount_received"], 0);
    assert_eq!(app.ledger().payment_intents[0].amount_capturable, 5000);
    let (status, captured) = json_of(
        app.stripe_post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "4500")],
            Some("k-capture"),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{captured}");
    assert_eq!(captured["status"], "succeeded");
    assert_eq!(captured["amount_received"], 4500);
    assert_eq!(captured["amount_capturable"], 0);
    let (_, fetched) = app.stripe_get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(fetched["status"], "succeeded");
    let entry = &app.ledger().payment_intents[0];
    assert_eq!(
        (
            entry.status.as_str(),
            entry.amount_received,
            entry.capture_method.as_str()
        ),
        ("succeeded", 4500, "manual")
    );
}

#[tokio::test]
async fn declined_cards_answer_402_with_the_intent() {
    let app = spawn().await;
    for (pm, decline_code) in [
        ("pm_card_chargeDeclined", "generic_decline"),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            "insufficient_funds",
        ),
    ] {
        let (status, body) = app.authorize("7000", pm, pm).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
        let error = &body["error"];
        assert_eq!(error["type"], "card_error");
        assert_eq!(error["code"], "card_declined");
        assert_eq!(error["decline_code"], decline_code);
        assert_eq!(error["payment_intent"]["status"], "requires_payment_method");
        assert_eq!(
            error["payment_intent"]["last_payment_error"]["decline_code"],
            decline_code
        );
        // The decline is stored under the key like any executed answer.
        let (replayed_status, replayed) = app.authorize("7000", pm, pm).await;
        assert_eq!((replayed_status, &replayed), (status, &body));
    }
    let ledger = app.ledger();
    assert_eq!(ledger.payment_intents.len(), 2);
    assert!(
        ledger
            .payment_intents
            .iter()
            .all(|pi| pi.status == "requires_payment_method" && pi.amount_received == 0)
    );
    let (status, body) = app.authorize("7000", "pm_card_unknown", "x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "resource_missing");
    assert_eq!(body["error"]["param"], "payment_method");
}

#[tokio::test]
async fn idempotency_keys_replay_and_guard_parameters() {
    let app = spawn().await;
    let form = [
        ("amount", "1200"),
        ("currency", "usd"),
        ("metadata[saga_id]", "s1"),
    ];
    let first = app
        .stripe_post("/v1/payment_intents", &form, Some("same-key"))
        .await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (_, first) = json_of(first).await;
    let second = app
        .stripe_post("/v1/payment_intents", &form, Some("same-key"))
        .await;
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let (_, second) = json_of(second).await;
    assert_eq!(first["id"], second["id"]);
    let other = [
        ("amount", "1300"),
        ("currency", "usd"),
        ("metadata[saga_id]", "s1"),
    ];
    let (status, body) = json_of(
        app.stripe_post("/v1/payment_intents", &other, Some("same-key"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["type"], "idempotency_error");
    let long_key = "k".repeat(256);
    let (status, _) = json_of(
        app.stripe_post("/v1/payment_intents", &form, Some(&long_key))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Keys belong to an API key.
    let elsewhere = app
        .http
        .post(format!("{}/v1/payment_intents", app.sandbox.stripe_url))
        .bearer_auth("sk_test_another_account")
        .header("Idempotency-Key", "same-key")
        .form(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::OK);
    assert_eq!(app.ledger().payment_intents.len(), 2);
}

#[tokio::test]
async fn capture_and_cancel_respect_the_state_machine() {
    let app = spawn().await;
    let form = [
        ("amount", "2500"),
        ("currency", "usd"),
        ("capture_method", "manual"),
        ("payment_method", "pm_card_visa"),
    ];
    let (_, intent) = json_of(app.stripe_post("/v1/payment_intents", &form, None).await).await;
    let id = intent["id"].as_str().unwrap();
    let (status, body) = json_of(
        app.stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "payment_intent_unexpected_state");
    let (status, canceled) = json_of(
        app.stripe_post(
            &format!("/v1/payment_intents/{id}/cancel"),
            &[("cancellation_reason", "abandoned")],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            canceled["status"].as_str(),
            canceled["cancellation_reason"].as_str()
        ),
        (Some("canceled"), Some("abandoned"))
    );
    let (status, body) = json_of(
        app.stripe_post(&format!("/v1/payment_intents/{id}/cancel"), &[], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("status of canceled")
    );
    let (_, paid) = app.authorize("2500", "pm_card_visa", "saga-paid").await;
    let paid_id = paid["id"].as_str().unwrap();
    app.stripe_post(&format!("/v1/payment_intents/{paid_id}/capture"), &[], None)
        .await;
    let (status, body) = json_of(
        app.stripe_post(&format!("/v1/payment_intents/{paid_id}/cancel"), &[], None)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "payment_intent_unexpected_state");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("status of succeeded")
    );
    let (status, body) = app.stripe_get("/v1/payment_intents/pi_missing").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("resource_missing"))
    );
}

#[tokio::test]
async fn intents_are_listed_newest_first_and_found_by_metadata() {
    let app = spawn().await;
    // Search up to date here; its lag has tests of its own.
    app.sandbox.set_behaviour(Behaviour::lenient());
    for saga in ["a", "b", "c"] {
        app.authorize("100", "pm_card_visa", saga).await;
    }
    let (_, list) = app.stripe_get("/v1/payment_intents?limit=2").await;
    assert_eq!(list["object"], "list");
    assert_eq!(list["has_more"], true);
    assert_eq!(list["data"][0]["metadata"]["saga_id"], "c");
    let last = list["data"][1]["id"].as_str().unwrap();
    let (_, rest) = app
        .stripe_get(&format!(
            "/v1/payment_intents?limit=2&starting_after={last}"
        ))
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);
    let query = "metadata['saga_id']:'b'";
    let response = app
        .stripe(Method::GET, "/v1/payment_intents/search")
        .query(&[("query", query)])
        .send()
        .await
        .unwrap();
    let (status, found) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["object"], "search_result");
    let data: &Vec<Value> = found["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["metadata"]["saga_id"], "b");
    let response = app
        .stripe(Method::GET, "/v1/payment_intents/search")
        .query(&[("query", "status:'succeeded'")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn requests_need_a_test_secret_key() {
    let app = spawn().await;
    let url = format!("{}/v1/payment_intents", app.sandbox.stripe_url);
    let none = app.http.get(&url).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(none.headers().contains_key("request-id"));
    let (_, body) = json_of(none).await;
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let live = app
        .http
        .get(&url)
        .bearer_auth("sk_live_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::UNAUTHORIZED);
    let (_, body) = json_of(live).await;
    assert!(
        !body.to_string().contains("sk_live_nope"),
        "keys are never echoed"
    );
    let ok = app
        .http
        .get(&url)
        .bearer_auth(STRIPE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let (status, body) = app.stripe_get("/v1/charges").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unrecognized request URL")
    );
}
