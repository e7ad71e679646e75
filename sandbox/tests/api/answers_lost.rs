//! "Effect applied, answer lost" on every call that has an effect, for
//! every provider: a 500 after the effect (stored under the idempotency key
//! where the provider has one) or an answer held back past the client's
//! timeout, as scripted outcomes and as rates, each counted by call.

use std::time::Duration;

use autobook_sandbox::{
    AuthorizationFault, CancellationFault, CaptureFault, CreationFault, EmailFault, FaultScript,
    Faults, OrderFault, RefundFault, VoidFault,
};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{EMAIL_KEY, TestApp, adults, order_body, spawn};

/// How long the client waits before it gives up on a held-back answer.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(300);

/// How an answer is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lost {
    ServerError,
    Timeout,
}

impl Lost {
    fn kind(self) -> &'static str {
        match self {
            Lost::ServerError => "server_error_after_effect",
            Lost::Timeout => "timeout_after_effect",
        }
    }
}

/// Every effectful call, in the order [`every_effectful_call`] makes them.
const CALLS: [&str; 9] = [
    "stripe POST /v1/payment_intents",
    "stripe POST /v1/payment_intents/{id}/confirm",
    "stripe POST /v1/payment_intents/{id}/capture",
    "stripe POST /v1/refunds",
    "stripe POST /v1/payment_intents/{id}/cancel",
    "duffel POST /air/orders",
    "duffel POST /air/order_cancellations",
    "duffel POST /air/order_cancellations/{id}/actions/confirm",
    "email POST /emails",
];

/// Sends `request`, which must lose its answer `how`. With a key, asking
/// again replays what was stored: the 500, or the answer held back.
async fn send(request: RequestBuilder, how: Lost, keyed: bool) {
    let again = request.try_clone().unwrap();
    match how {
        Lost::ServerError => {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        }
        Lost::Timeout => {
            let sent = request.timeout(CLIENT_TIMEOUT).send().await;
            assert!(sent.is_err(), "the answer is held back");
        }
    }
    if keyed {
        let replay = again.send().await.unwrap();
        let expected = match how {
            Lost::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            Lost::Timeout => StatusCode::OK,
        };
        assert_eq!(replay.status(), expected, "the stored answer");
    }
}

fn stripe(app: &TestApp, path: &str, form: &[(&str, &str)], key: &str) -> RequestBuilder {
    app.stripe(Method::POST, path)
        .form(form)
        .header("Idempotency-Key", key)
}

fn duffel(app: &TestApp, path: &str, data: Value) -> RequestBuilder {
    app.duffel(Method::POST, path)
        .json(&json!({ "data": data }))
}

fn intent_id(app: &TestApp, saga: &str) -> String {
    let ledger = app.ledger();
    let intent = ledger
        .payment_intents
        .iter()
        .find(|intent| intent.metadata.get("saga_id").map(String::as_str) == Some(saga))
        .expect("the intent exists");
    intent.id.clone()
}

fn intent_status(app: &TestApp, saga: &str) -> String {
    let id = intent_id(app, saga);
    let ledger = app.ledger();
    let intent = ledger.payment_intents.iter().find(|i| i.id == id).unwrap();
    intent.status.clone()
}

/// Makes every effectful call once, the answer of the n-th lost as
/// `modes[n]` says (the faults set up by the caller), and checks each
/// effect happened all the same.
async fn every_effectful_call(app: &TestApp, modes: [Lost; 9]) {
    let manual = |saga: &'static str| {
        [
            ("amount", "2500"),
            ("currency", "usd"),
            ("capture_method", "manual"),
            ("payment_method", "pm_card_visa"),
            ("metadata[saga_id]", saga),
        ]
    };
    send(
        stripe(app, "/v1/payment_intents", &manual("a"), "a:create"),
        modes[0],
        true,
    )
    .await;
    let a = intent_id(app, "a");
    let path = format!("/v1/payment_intents/{a}/confirm");
    send(stripe(app, &path, &[], "a:confirm"), modes[1], true).await;
    assert_eq!(intent_status(app, "a"), "requires_capture");
    let path = format!("/v1/payment_intents/{a}/capture");
    send(stripe(app, &path, &[], "a:capture"), modes[2], true).await;
    assert_eq!(intent_status(app, "a"), "succeeded");
    let refund = [("payment_intent", a.as_str())];
    send(
        stripe(app, "/v1/refunds", &refund, "a:refund"),
        modes[3],
        true,
    )
    .await;
    assert_eq!(app.ledger().refunds.len(), 1);
    let b = intent_id(app, "b");
    let path = format!("/v1/payment_intents/{b}/cancel");
    send(stripe(app, &path, &[], "b:cancel"), modes[4], true).await;
    assert_eq!(intent_status(app, "b"), "canceled");

    let offer = app.search("JFK", "LAX", adults(1)).await["offers"][0].clone();
    let order = order_body(&offer, None, json!({ "idempotency_key": "o" }));
    send(duffel(app, "/air/orders", order), modes[5], false).await;
    let order_id = app.ledger().orders[0].id.clone();
    let quote = json!({ "order_id": order_id });
    send(
        duffel(app, "/air/order_cancellations", quote),
        modes[6],
        false,
    )
    .await;
    let quote_id = app.ledger().order_cancellations[0].id.clone();
    let path = format!("/air/order_cancellations/{quote_id}/actions/confirm");
    send(duffel(app, &path, json!({})), modes[7], false).await;
    assert!(app.ledger().orders[0].cancelled);

    let email = app
        .http
        .post(format!("{}/emails", app.sandbox.email_url))
        .bearer_auth(EMAIL_KEY)
        .header("Idempotency-Key", "mail")
        .json(&json!({ "from": "a@autobook.test", "to": "b@example.com", "subject": "s", "text": "t" }));
    send(email, modes[8], true).await;
    assert_eq!(app.ledger().emails.len(), 1);
}

/// A sandbox with intent "b" ready to be canceled, answers held back
/// longer than any test waits.
async fn prepared() -> TestApp {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        timeout_delay: Duration::from_secs(30),
        ..Faults::default()
    });
    let form = [
        ("amount", "900"),
        ("currency", "usd"),
        ("metadata[saga_id]", "b"),
    ];
    let response = app.stripe_post("/v1/payment_intents", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    app
}

fn assert_counted(app: &TestApp, modes: [Lost; 9]) {
    for (call, how) in CALLS.iter().zip(modes) {
        assert_eq!(app.injected_in(call, how.kind()), 1, "{call}: {how:?}");
    }
    let servers = modes.iter().filter(|m| **m == Lost::ServerError).count() as u64;
    assert_eq!(app.injected("server_error_after_effect"), servers);
    assert_eq!(app.injected("timeout_after_effect"), 9 - servers);
}

#[tokio::test]
async fn every_effectful_call_answers_500_after_its_effect_at_the_rate() {
    let app = prepared().await;
    app.sandbox.set_faults(Faults {
        server_error_after_effect_rate: 1.0,
        ..app.sandbox.faults()
    });
    let modes = [Lost::ServerError; 9];
    every_effectful_call(&app, modes).await;
    assert_counted(&app, modes);
}

#[tokio::test]
async fn every_effectful_call_holds_its_answer_back_after_its_effect_at_the_rate() {
    let app = prepared().await;
    app.sandbox.set_faults(Faults {
        timeout_after_effect_rate: 1.0,
        ..app.sandbox.faults()
    });
    let modes = [Lost::Timeout; 9];
    every_effectful_call(&app, modes).await;
    assert_counted(&app, modes);
}

#[tokio::test]
async fn scripted_answer_losses_take_effect_on_every_call() {
    let app = prepared().await;
    app.sandbox.push_script(FaultScript {
        creations: vec![CreationFault::ServerErrorAfterEffect],
        authorizations: vec![AuthorizationFault::TimeoutAfterEffect],
        captures: vec![CaptureFault::ServerErrorAfterEffect],
        refunds: vec![RefundFault::TimeoutAfterEffect],
        voids: vec![VoidFault::ServerErrorAfterEffect],
        orders: vec![OrderFault::ServerErrorAfterEffect],
        cancellations: vec![
            CancellationFault::TimeoutAfterEffect,
            CancellationFault::ServerErrorAfterEffect,
        ],
        emails: vec![EmailFault::TimeoutAfterEffect],
        ..FaultScript::default()
    });
    let modes = [
        Lost::ServerError,
        Lost::Timeout,
        Lost::ServerError,
        Lost::Timeout,
        Lost::ServerError,
        Lost::ServerError,
        Lost::Timeout,
        Lost::ServerError,
        Lost::Timeout,
    ];
    every_effectful_call(&app, modes).await;
    assert_counted(&app, modes);
    assert_eq!(app.sandbox.remaining_script(), FaultScript::default());
}

#[tokio::test]
async fn a_scripted_ok_spares_the_call_from_the_rates() {
    let app = prepared().await;
    app.sandbox.set_faults(Faults {
        server_error_after_effect_rate: 1.0,
        ..app.sandbox.faults()
    });
    app.sandbox.push_script(FaultScript {
        creations: vec![CreationFault::Ok],
        ..FaultScript::default()
    });
    let form = [("amount", "100"), ("currency", "usd")];
    let response = app.stripe_post("/v1/payment_intents", &form, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.stripe_post("/v1/payment_intents", &form, None).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.ledger().payment_intents.len(), 3, "both created");
}
