//! Stripe webhooks: every change of an intent, and every refund, is posted
//! to the endpoint set at run time, signed; a refused delivery is tried
//! again; an intent cancelled "outside" (admin API) or whose hold lapses is
//! reported canceled with its reason. Deliveries are late and some come
//! twice (see `webhook_delivery`), so the receiver here, like a real one,
//! takes each event once, by id, in whatever order it comes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, Utc};
use reqwest::StatusCode as HttpStatus;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use autobook_contracts::stripe_webhook::{DEFAULT_TOLERANCE, StripeEvent, WebhookSecret, verify};
use autobook_sandbox::{Behaviour, WebhookStatus};

use crate::helpers::{TestApp, json_of, spawn};

const SECRET: &str = "whsec_sandbox_test";

/// One request the receiver got.
pub struct Delivery {
    signature: String,
    body: Vec<u8>,
}

impl Delivery {
    pub fn event(&self) -> StripeEvent {
        serde_json::from_slice(&self.body).unwrap()
    }

    /// Checks the signature against the secret at `now`.
    fn verify(&self, now: DateTime<Utc>) {
        let secret = WebhookSecret::new(SECRET);
        verify(&self.signature, &self.body, &secret, now, DEFAULT_TOLERANCE)
            .unwrap_or_else(|error| panic!("{error}: {}", self.signature));
    }
}

/// A webhook endpoint on an ephemeral port that answers 500 to its first
/// `refusals` requests, then 200.
pub struct Receiver {
    url: String,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    /// Ids of the events handed out by [`Receiver::next`].
    seen: BTreeSet<String>,
}

pub async fn receiver(refusals: usize) -> Receiver {
    let (sender, deliveries) = mpsc::unbounded_channel();
    let refusals = Arc::new(AtomicUsize::new(refusals));
    let app = Router::new().route(
        "/hooks/stripe",
        post(move |headers: HeaderMap, body: Bytes| async move {
            let signature = headers
                .get("stripe-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let _ = sender.send(Delivery {
                signature,
                body: body.to_vec(),
            });
            let refuse = refusals
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if refuse {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::OK
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/stripe", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver {
        url,
        deliveries,
        seen: BTreeSet::new(),
    }
}

impl Receiver {
    /// The next request, a copy of an event already seen included.
    pub async fn next_request(&mut self) -> Delivery {
        tokio::time::timeout(Duration::from_secs(10), self.deliveries.recv())
            .await
            .expect("a webhook within 10 s")
            .expect("the receiver runs")
    }

    /// The next event not seen before.
    async fn next(&mut self) -> Delivery {
        loop {
            let delivery = self.next_request().await;
            if self.seen.insert(delivery.event().id) {
                return delivery;
            }
        }
    }

    /// The next `n` new events, by event type.
    async fn take(&mut self, n: usize) -> Vec<(String, Delivery)> {
        let mut got = Vec::new();
        for _ in 0..n {
            let delivery = self.next().await;
            got.push((delivery.event().event_type, delivery));
        }
        got.sort_by(|a, b| a.0.cmp(&b.0));
        got
    }
}

pub async fn point_at(app: &TestApp, receiver: &Receiver) {
    let (status, body) = json_of(
        app.http
            .put(format!("{}/webhook_endpoint", app.sandbox.admin_url))
            .json(&json!({ "url": receiver.url, "secret": SECRET }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, HttpStatus::OK, "{body}");
    assert_eq!(
        body,
        json!({ "url": receiver.url }),
        "the secret is not shown"
    );
}

async fn cancel_outside(app: &TestApp, id: &str, body: Value) -> (HttpStatus, Value) {
    json_of(
        app.http
            .post(format!(
                "{}/stripe/payment_intents/{id}/cancel",
                app.sandbox.admin_url
            ))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

pub async fn settled(app: &TestApp) {
    assert!(
        app.sandbox.webhooks_settled(Duration::from_secs(10)).await,
        "deliveries still pending: {:?}",
        app.ledger().webhooks
    );
}

#[tokio::test]
async fn every_change_of_a_hold_and_its_refund_is_posted_signed() {
    let app = spawn().await;
    let mut hooks = receiver(0).await;
    point_at(&app, &hooks).await;
    let (status, intent) = app.authorize("35130", "pm_card_visa", "saga-1").await;
    assert_eq!(status, HttpStatus::OK, "{intent}");
    let id = intent["id"].as_str().unwrap();
    let got = hooks.take(2).await;
    let types: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "payment_intent.amount_capturable_updated",
            "payment_intent.created"
        ]
    );
    for (_, delivery) in &got {
        delivery.verify(Utc::now());
        let event = delivery.event();
        assert!(event.id.starts_with("evt_"));
        assert_eq!((event.object.as_str(), event.livemode), ("event", false));
        assert!(event.api_version.is_some());
        assert_eq!(event.data.object["id"], id);
        assert_eq!(event.data.object["metadata"]["saga_id"], "saga-1");
    }
    assert_eq!(got[0].1.event().data.object["status"], "requires_capture");
    assert_eq!(
        got[1].1.event().data.object["status"],
        "requires_confirmation"
    );

    let captured = app
        .stripe_post(&format!("/v1/payment_intents/{id}/capture"), &[], None)
        .await;
    assert_eq!(captured.status(), HttpStatus::OK);
    let succeeded = hooks.next().await;
    succeeded.verify(Utc::now());
    assert_eq!(succeeded.event().event_type, "payment_intent.succeeded");
    assert_eq!(succeeded.event().data.object["amount_received"], 35130);

    let refunded = app
        .stripe_post("/v1/refunds", &[("payment_intent", id)], None)
        .await;
    assert_eq!(refunded.status(), HttpStatus::OK);
    let refund = hooks.next().await.event();
    assert_eq!(refund.event_type, "refund.created");
    assert_eq!(refund.data.object["payment_intent"], id);

    settled(&app).await;
    let log = app.ledger().webhooks;
    assert_eq!(log.len(), 4);
    assert!(
        log.iter()
            .all(|w| w.status == WebhookStatus::Delivered && w.attempts == w.copies),
        "{log:?}"
    );
    assert_eq!(log[0].event_type, "payment_intent.created");
    assert_eq!(log[0].object_id, id);
}

#[tokio::test]
async fn a_refused_delivery_is_tried_again_with_the_same_event() {
    let app = spawn().await;
    // One copy, at once: the attempts counted are the retries.
    app.sandbox.set_behaviour(Behaviour::lenient());
    let mut hooks = receiver(2).await;
    point_at(&app, &hooks).await;
    let (status, _) = json_of(
        app.stripe_post(
            "/v1/payment_intents",
            &[("amount", "500"), ("currency", "usd")],
            None,
        )
        .await,
    )
    .await;
    assert_eq!(status, HttpStatus::OK);
    let tries: Vec<StripeEvent> = [
        hooks.next_request().await,
        hooks.next_request().await,
        hooks.next_request().await,
    ]
    .iter()
    .map(|delivery| {
        delivery.verify(Utc::now());
        delivery.event()
    })
    .collect();
    assert!(tries.iter().all(|event| event == &tries[0]), "{tries:?}");
    settled(&app).await;
    let log = app.ledger().webhooks;
    assert_eq!(
        (log[0].attempts, log[0].status),
        (3, WebhookStatus::Delivered)
    );
}

#[tokio::test]
async fn an_intent_cancelled_outside_is_reported_with_its_reason() {
    let app = spawn().await;
    let mut hooks = receiver(0).await;
    point_at(&app, &hooks).await;
    let (_, intent) = app.authorize("12000", "pm_card_visa", "saga-2").await;
    let id = intent["id"].as_str().unwrap();
    hooks.take(2).await;
    let (status, canceled) =
        cancel_outside(&app, id, json!({ "cancellation_reason": "fraudulent" })).await;
    assert_eq!(status, HttpStatus::OK, "{canceled}");
    assert_eq!(canceled["status"], "canceled");
    let event = hooks.next().await.event();
    assert_eq!(event.event_type, "payment_intent.canceled");
    assert_eq!(event.data.object["cancellation_reason"], "fraudulent");
    assert_eq!(event.data.object["amount_capturable"], 0);
    // Not twice, not unknown intents, not made-up reasons.
    let (status, _) = cancel_outside(&app, id, json!({})).await;
    assert_eq!(status, HttpStatus::BAD_REQUEST);
    let (status, _) = cancel_outside(&app, "pi_nope", json!({})).await;
    assert_eq!(status, HttpStatus::NOT_FOUND);
    let (_, other) = app.authorize("12000", "pm_card_visa", "saga-3").await;
    let other = other["id"].as_str().unwrap();
    let (status, _) = cancel_outside(&app, other, json!({ "cancellation_reason": "bored" })).await;
    assert_eq!(status, HttpStatus::BAD_REQUEST);
    // The default is a lapse.
    let (status, _) = cancel_outside(&app, other, json!({})).await;
    assert_eq!(status, HttpStatus::OK);
    let got = hooks.take(3).await;
    let lapsed = got
        .iter()
        .find(|(t, _)| t == "payment_intent.canceled")
        .expect("canceled")
        .1
        .event();
    assert_eq!(lapsed.data.object["id"], other);
    assert_eq!(lapsed.data.object["cancellation_reason"], "automatic");
    let ledger = app.ledger();
    assert_eq!(ledger.payment_intents[0].status, "canceled");
    assert_eq!(ledger.payment_intents[0].amount_received, 0);
}

#[tokio::test]
async fn a_lapsed_hold_is_reported_when_the_lapse_is_seen_and_declines_too() {
    let app = spawn().await;
    let mut hooks = receiver(0).await;
    point_at(&app, &hooks).await;
    let (_, intent) = app.authorize("9000", "pm_card_visa", "saga-4").await;
    let id = intent["id"].as_str().unwrap();
    hooks.take(2).await;
    let week = Duration::from_secs(7 * 24 * 3600);
    app.sandbox.advance_clock(week);
    let (_, seen) = app.stripe_get(&format!("/v1/payment_intents/{id}")).await;
    assert_eq!(seen["status"], "canceled");
    let delivery = hooks.next().await;
    // Signed at the sandbox's time, a week on.
    delivery.verify(Utc::now() + chrono::Duration::from_std(week).unwrap());
    let event = delivery.event();
    assert_eq!(event.event_type, "payment_intent.canceled");
    assert_eq!(event.data.object["cancellation_reason"], "automatic");

    let (status, _) = app
        .authorize("9000", "pm_card_chargeDeclined", "saga-5")
        .await;
    assert_eq!(status, HttpStatus::PAYMENT_REQUIRED);
    let got = hooks.take(2).await;
    assert_eq!(got[0].0, "payment_intent.created");
    assert_eq!(got[1].0, "payment_intent.payment_failed");
    assert_eq!(
        got[1].1.event().data.object["last_payment_error"]["decline_code"],
        "generic_decline"
    );
}

#[tokio::test]
async fn without_an_endpoint_events_are_kept_but_not_sent() {
    let app = spawn().await;
    let (status, _) = app.authorize("9000", "pm_card_visa", "saga-6").await;
    assert_eq!(status, HttpStatus::OK);
    settled(&app).await;
    let log = app.ledger().webhooks;
    assert_eq!(log.len(), 2);
    assert!(
        log.iter()
            .all(|w| w.status == WebhookStatus::NotSent && w.attempts == 0)
    );
    let (_, endpoint) = json_of(
        app.http
            .get(format!("{}/webhook_endpoint", app.sandbox.admin_url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(endpoint, json!({ "url": null }));
}
