//! Stripe webhooks through real HTTP: the receiver (`POST
//! /v1/webhooks/stripe`) served on a port of its own against the test's
//! system, the sandbox posting its signed events to it. Forged, stale,
//! malformed and oversized deliveries are refused; a redelivered event is
//! recorded and published once; one that cannot be published is not
//! recorded (Stripe delivers it again); the events of a booking arrive and reach
//! the saga; and a hold cancelled outside the system while the saga holds
//! it is dropped without a capture, and the trip searched again.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use autobook_broker::Publisher;
use autobook_contracts::Topology;
use autobook_contracts::events::PaymentIntentUpdated;
use autobook_contracts::senders::Identity;
use autobook_contracts::stripe_webhook::{StripeEvent, WebhookSecret, sign};
use autobook_contracts::{Envelope, Message};
use autobook_gateway::webhooks::{self, MAX_BODY_BYTES, WebhookContext, message_id};
use autobook_orchestrator::saga::Phase;
use autobook_tests::broker::Observer;
use autobook_tests::control::{belongs, throw_switch};
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn, spawn_with};
use autobook_workers::WorkerKind;

const SECRET: &str = "whsec_autobook_tests";

/// The receiver, served on an ephemeral port for the test's system.
struct Endpoint {
    url: String,
    http: reqwest::Client,
}

/// The receiver publishing as the gateway, whose part it is.
async fn serve(system: &TestSystem) -> Endpoint {
    let gateway = system.stack().broker_of(Identity::Gateway);
    serve_with(system, Publisher::open(gateway).await.unwrap()).await
}

/// The receiver publishing through `publisher`.
async fn serve_with(system: &TestSystem, publisher: Publisher) -> Endpoint {
    let stack = system.stack();
    let context = WebhookContext::new(
        stack.pool.clone(),
        publisher,
        WebhookSecret::new(SECRET),
        stack.clock.clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        webhooks::PATH
    );
    tokio::spawn(async move { axum::serve(listener, webhooks::router(context)).await });
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Endpoint { url, http }
}

impl Endpoint {
    /// Points the sandbox's Stripe at this endpoint (its admin API).
    async fn subscribe(&self, system: &TestSystem) {
        let admin = &system.stack().sandbox.admin_url;
        let response = self
            .http
            .put(format!("{admin}/webhook_endpoint"))
            .json(&json!({ "url": self.url, "secret": SECRET }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Posts `body` with `signature` (if any); the status and JSON answer.
    async fn post(&self, body: &[u8], signature: Option<String>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Posts `event` signed with our secret at `at` (Unix seconds).
    async fn deliver(&self, event: &StripeEvent, at: i64) -> (StatusCode, Value) {
        let body = serde_json::to_vec(event).unwrap();
        let signature = sign(&WebhookSecret::new(SECRET), at, &body);
        self.post(&body, Some(signature)).await
    }
}

/// An event about intent `pi` of saga `saga`.
fn intent_event(id: &str, saga: Uuid, pi: &str, status: &str, created: i64) -> StripeEvent {
    StripeEvent::new(
        id.into(),
        &format!("payment_intent.{status}"),
        created,
        json!({
            "id": pi, "object": "payment_intent", "status": status,
            "metadata": { "saga_id": saga.to_string() },
            "cancellation_reason": null,
        }),
    )
}

/// The event ids recorded by the receiver.
async fn recorded(system: &TestSystem) -> Vec<(String, Option<String>, Option<Uuid>)> {
    autobook_gateway::testing::recorded_events(&system.stack().pool)
        .await
        .unwrap()
}

/// The next `payment.intent_updated` seen, with its payload.
async fn next_update(observer: &mut Observer) -> (Envelope, PaymentIntentUpdated) {
    let envelope = observer
        .next(Duration::from_secs(15))
        .await
        .expect("a payment.intent_updated within 15 s");
    let Message::PaymentIntentUpdated(update) = envelope.message.clone() else {
        panic!("{envelope:?}");
    };
    (envelope, update)
}

#[tokio::test]
async fn forged_stale_malformed_and_replayed_deliveries_are_refused_or_deduplicated() {
    let system = spawn().await;
    let id = system.submit(trip()).await;
    assert_eq!(system.finished(id).await.status, "booked");
    let endpoint = serve(&system).await;
    let mut published = system.observe(&["payment.intent_updated"]).await;
    let now = system.stack().clock.now().timestamp();
    let event = intent_event("evt_test_1", id, "pi_test_1", "succeeded", now);
    let body = serde_json::to_vec(&event).unwrap();

    let refusals = [
        (None, body.clone(), "signature_missing"),
        (
            Some(sign(&WebhookSecret::new("whsec_forged"), now, &body)),
            body.clone(),
            "signature_mismatch",
        ),
        (
            Some(sign(&WebhookSecret::new(SECRET), now - 301, &body)),
            body.clone(),
            "signature_stale",
        ),
        (
            Some(format!("t={now},v0=abc")),
            body.clone(),
            "signature_missing",
        ),
        (Some("v1=abc".into()), body.clone(), "signature_malformed"),
        (
            Some(sign(&WebhookSecret::new(SECRET), now, b"{not json")),
            b"{not json".to_vec(),
            "malformed_event",
        ),
    ];
    for (signature, body, code) in refusals {
        let (status, answer) = endpoint.post(&body, signature).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{answer}");
    }
    let huge = vec![b' '; MAX_BODY_BYTES + 1];
    let (status, answer) = endpoint
        .post(&huge, Some(sign(&WebhookSecret::new(SECRET), now, &huge)))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(
        recorded(&system).await.is_empty(),
        "nothing refused is kept"
    );

    let (status, answer) = endpoint.deliver(&event, now).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["duplicate"], false);
    assert_eq!(answer["published"], true);
    // Stripe delivers again (signed anew): recorded, not acted on twice.
    let (status, answer) = endpoint.deliver(&event, now + 5).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["duplicate"], true);
    // An old delivery of it replayed past the tolerance is refused.
    let (status, answer) = endpoint.deliver(&event, now - 600).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "signature_stale");
    // A later event from the same publisher comes after any second copy.
    let later = intent_event("evt_test_2", id, "pi_test_1", "canceled", now);
    assert_eq!(endpoint.deliver(&later, now).await.0, StatusCode::OK);
    let (first, update) = next_update(&mut published).await;
    assert_eq!(first.message_id, message_id(&event));
    assert_eq!(first.saga_id, id);
    assert_eq!(
        (update.event_id.as_str(), update.status.as_str()),
        ("evt_test_1", "succeeded")
    );
    let (second, update) = next_update(&mut published).await;
    assert_eq!(update.event_id, "evt_test_2", "published once only");
    // The saga took both in, and neither changed it: it holds nothing.
    system.handled(first.message_id).await;
    system.handled(second.message_id).await;
    assert_eq!(system.saga(id).await.unwrap().status, "booked");
    assert_eq!(
        recorded(&system).await,
        [
            (
                String::from("evt_test_1"),
                Some(String::from("pi_test_1")),
                Some(id)
            ),
            (
                String::from("evt_test_2"),
                Some(String::from("pi_test_1")),
                Some(id)
            ),
        ]
    );
    // An event for no saga of ours, and one of another kind: kept, not sent.
    let stranger = intent_event("evt_test_3", Uuid::now_v7(), "pi_x", "canceled", now);
    let (_, answer) = endpoint.deliver(&stranger, now).await;
    assert_eq!(answer["published"], false, "{answer}");
    let refund = StripeEvent::new(
        "evt_test_4".into(),
        "refund.created",
        now,
        json!({"id": "re_1"}),
    );
    let (_, answer) = endpoint.deliver(&refund, now).await;
    assert_eq!(answer["published"], false, "{answer}");
    assert_eq!(recorded(&system).await.len(), 4);
    system.teardown().await;
}

#[tokio::test]
async fn an_event_that_cannot_be_passed_on_is_not_recorded_and_asked_for_again() {
    let system = spawn().await;
    let id = system.submit(trip()).await;
    assert_eq!(system.finished(id).await.status, "booked");
    // A publisher whose exchanges were never declared: nothing routes.
    let nowhere = Topology::new(&format!("t-nowhere-{}", Uuid::now_v7().simple())).unwrap();
    let broker = system
        .stack()
        .broker_access()
        .connect(Identity::Gateway, "webhook-test", nowhere)
        .await
        .unwrap();
    let broken = serve_with(&system, Publisher::open(&broker).await.unwrap()).await;
    let now = system.stack().clock.now().timestamp();
    let event = intent_event("evt_test_9", id, "pi_test_9", "canceled", now);
    let (status, answer) = broken.deliver(&event, now).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
    assert_eq!(answer["error"]["code"], "not_published");
    assert!(recorded(&system).await.is_empty(), "rolled back");
    // Stripe delivers it again, to a receiver that can pass it on.
    let mut published = system.observe(&["payment.intent_updated"]).await;
    let (status, answer) = serve(&system).await.deliver(&event, now + 60).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["published"], true);
    let (envelope, _) = next_update(&mut published).await;
    assert_eq!(envelope.message_id, message_id(&event));
    assert_eq!(recorded(&system).await.len(), 1);
    broker.close().await;
    system.teardown().await;
}

#[tokio::test]
async fn the_sandbox_s_signed_events_of_a_booking_arrive_and_reach_the_saga() {
    let system = spawn().await;
    let endpoint = serve(&system).await;
    endpoint.subscribe(&system).await;
    let mut published = system.observe(&["payment.intent_updated"]).await;
    let id = system.submit(trip()).await;
    let row = system.finished(id).await;
    assert_eq!(row.status, "booked");
    let sandbox = &system.stack().sandbox;
    assert!(sandbox.webhooks_settled(Duration::from_secs(15)).await);
    let ledger = system.ledger();
    let intent = ledger
        .payment_intents
        .iter()
        .find(|i| belongs(&i.metadata, id))
        .unwrap();
    let sent: Vec<_> = ledger
        .webhooks
        .iter()
        .filter(|w| w.object_id == intent.id)
        .collect();
    let mut types: Vec<&str> = sent.iter().map(|w| w.event_type.as_str()).collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "payment_intent.amount_capturable_updated",
            "payment_intent.created",
            "payment_intent.succeeded"
        ]
    );
    assert!(
        sent.iter()
            .all(|w| w.status == autobook_sandbox::WebhookStatus::Delivered),
        "{sent:?}"
    );
    // A 2xx came after the record was committed: every one is kept.
    let kept = recorded(&system).await;
    for webhook in &sent {
        assert!(
            kept.contains(&(webhook.id.clone(), Some(intent.id.clone()), Some(id))),
            "{} not recorded: {kept:?}",
            webhook.id
        );
    }
    // Each went on to the saga, which had nothing to do with them.
    for _ in &sent {
        let (envelope, update) = next_update(&mut published).await;
        assert_eq!(
            (envelope.saga_id, update.payment_intent_id.as_str()),
            (id, intent.id.as_str())
        );
        system.handled(envelope.message_id).await;
    }
    let after = system.saga(id).await.unwrap();
    assert_eq!(after.saga, row.saga, "the booked saga is unchanged");
    let report = autobook_harness::reconcile::reconcile(&[(id, after.saga.phase)], &ledger);
    assert!(report.ok, "{report:?}");
    system.teardown().await;
}

#[tokio::test]
async fn a_hold_cancelled_outside_while_paused_before_capture_is_dropped_and_the_trip_searched_again()
 {
    // Paused before the capture: the order exists, the hold waits.
    let system = spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Notify];
    })
    .await;
    let endpoint = serve(&system).await;
    endpoint.subscribe(&system).await;
    let stack = system.stack();
    let mut authorized = system.observe(&["payment.authorized"]).await;
    let payment = stack.start_workers(&[WorkerKind::Payment]);
    let id = system.submit(trip()).await;
    let held = authorized
        .next(Duration::from_secs(30))
        .await
        .expect("the hold is placed");
    assert_eq!(held.saga_id, id);
    payment.stop().await.unwrap();
    let mut ordered = system.observe(&["order.created"]).await;
    let _order = stack.start_workers(&[WorkerKind::Order]);
    let order = ordered
        .next(Duration::from_secs(30))
        .await
        .expect("ordered");
    assert_eq!(order.saga_id, id);
    throw_switch(&system, true).await;
    let _payment = stack.start_workers(&[WorkerKind::Payment]);
    let paused = system.reaches(id, "paused").await;
    let Phase::Paused { waiting, .. } = &paused.saga.phase else {
        unreachable!()
    };
    let Phase::Capturing { hold, .. } = waiting.as_ref() else {
        panic!("paused before {}", waiting.status());
    };

    // The hold goes outside the system, as if cancelled in the dashboard.
    let mut published = system.observe(&["payment.intent_updated"]).await;
    let response = endpoint
        .http
        .post(format!(
            "{}/stripe/payment_intents/{}/cancel",
            stack.sandbox.admin_url, hold.payment_intent_id
        ))
        .json(&json!({ "cancellation_reason": "fraudulent" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Webhooks come late and in any order: an earlier update of the hold
    // may arrive first.
    let (envelope, update) = loop {
        let (envelope, update) = next_update(&mut published).await;
        if update.status == "canceled" {
            break (envelope, update);
        }
    };
    assert_eq!((envelope.saga_id, update.status.as_str()), (id, "canceled"));
    assert_eq!(update.cancellation_reason.as_deref(), Some("fraudulent"));

    // The order is cancelled, the hold given up, and the trip searched
    // again: the new round pauses before its own hold (switch still on).
    let again = system
        .until(id, "paused before a new hold", |row| {
            matches!(&row.saga.phase, Phase::Paused { waiting, .. } if waiting.status() == "authorizing")
        })
        .await;
    assert_eq!(again.saga.epoch, 2);
    assert_eq!(
        again.saga.lost_hold.as_deref(),
        Some(hold.payment_intent_id.as_str())
    );
    let ledger = system.ledger();
    let intent = ledger
        .payment_intents
        .iter()
        .find(|i| i.id == hold.payment_intent_id)
        .unwrap();
    assert_eq!(intent.status, "canceled");
    assert_eq!(intent.amount_received, 0, "never captured");
    assert_eq!(
        intent.cancellation_reason.as_deref(),
        Some("fraudulent"),
        "not voided by us either"
    );
    assert!(
        !ledger
            .webhooks
            .iter()
            .any(|w| w.object_id == intent.id && w.event_type == "payment_intent.succeeded")
    );
    let orders: Vec<_> = ledger
        .orders
        .iter()
        .filter(|o| belongs(&o.metadata, id))
        .collect();
    assert!(orders.len() == 1 && orders[0].cancelled, "{orders:?}");
    let statuses = system.audit_statuses(id).await;
    let lost_at = statuses
        .iter()
        .rposition(|s| s == "cancelling_order")
        .unwrap();
    assert!(
        !statuses[lost_at..]
            .iter()
            .any(|s| s == "capturing" || s == "releasing_hold"),
        "{statuses:?}"
    );

    // Released, the switch lets the trip book on a new hold.
    throw_switch(&system, false).await;
    let row = system.finished(id).await;
    assert_eq!(row.status, "booked");
    let ledger = system.ledger();
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        unreachable!()
    };
    assert_ne!(booking.payment_intent_id, hold.payment_intent_id);
    let report = autobook_harness::reconcile::reconcile(&[(id, row.saga.phase.clone())], &ledger);
    assert!(report.ok, "{report:?}");
    system.teardown().await;
}
