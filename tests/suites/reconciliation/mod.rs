//! The reconciliation job against real PostgreSQL and the sandbox, reading
//! the sandbox through its Stripe and Duffel HTTP APIs as it would read the
//! real providers. Each mismatch class is planted through those APIs on
//! sagas made by running trips (or left mid-step by a stand-in payment
//! worker), and found; only the orphaned hold older than the grace period
//! is released, with its audit record; a second run changes nothing.

mod payments;
mod plant;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderMap;
use serde_json::json;
use uuid::Uuid;

use autobook_contracts::Message;
use autobook_contracts::events::{PaymentAuthorized, PaymentCaptured};
use autobook_contracts::senders::Identity;
use autobook_contracts::stripe_webhook::{StripeEvent, WebhookSecret, sign};
use autobook_gateway::webhooks::recent::RecordedEvents;
use autobook_gateway::webhooks::{self, WebhookContext};
use autobook_harness::reconcile::job::providers;
use autobook_orchestrator::saga::Phase;
use autobook_reconcile::history;
use autobook_reconcile::store::{RunRow, record_run};
use autobook_reconcile::{
    Action, EventSource, FindingClass, Job, JobError, Limits, Outcome, Report, Settings,
};
use autobook_tests::trips::{trip, trip_with};
use autobook_tests::{TestSystem, spawn, spawn_with};
use autobook_workers::WorkerKind;
use autobook_workers::providers::{ApiKey, ProviderConfig};

use payments::{Payments, reply};
use plant::Plant;

const HOUR: Duration = Duration::from_secs(3600);

/// The job against the test's database and sandbox, by the stack's clock.
fn job<E: EventSource>(system: &TestSystem, events: E, window: Duration) -> Job<E> {
    let stack = system.stack();
    Job {
        pool: stack.pool.clone(),
        vault: stack.vault.clone(),
        providers: providers(
            ProviderConfig::new(&stack.sandbox.stripe_url, ApiKey::new("sk_test_sandbox")),
            ProviderConfig::new(
                &stack.sandbox.duffel_url,
                ApiKey::new("duffel_test_sandbox"),
            ),
        )
        .unwrap(),
        events,
        clock: stack.clock.clone(),
        settings: Settings {
            window,
            grace: Duration::from_secs(15 * 60),
            limits: Limits::default(),
            repair: true,
            instance: "reconcile-test".into(),
        },
    }
}

fn recorded(system: &TestSystem) -> RecordedEvents {
    RecordedEvents(system.stack().pool.clone())
}

/// No webhook events at all.
struct NoEvents;

impl EventSource for NoEvents {
    async fn intents_since(
        &self,
        _since: chrono::DateTime<chrono::Utc>,
        _limit: i64,
    ) -> Result<(Vec<String>, bool), sqlx::Error> {
        Ok((Vec::new(), true))
    }
}

/// The findings as (class, subject).
fn found(report: &Report) -> BTreeSet<(String, String)> {
    report
        .findings
        .iter()
        .map(|h| {
            (
                h.finding.class.as_str().to_owned(),
                h.finding.subject.clone(),
            )
        })
        .collect()
}

fn finding(class: &str, subject: impl ToString) -> (String, String) {
    (class.to_owned(), subject.to_string())
}

/// Every intent's status, by id.
fn statuses(system: &TestSystem) -> BTreeMap<String, String> {
    system
        .ledger()
        .payment_intents
        .into_iter()
        .map(|i| (i.id, i.status))
        .collect()
}

fn declined(trip: &mut serde_json::Value) {
    trip["payment"]["payment_method"] = json!("pm_card_chargeDeclined");
}

/// The booked saga's intent and order.
async fn booking(system: &TestSystem, id: Uuid) -> (String, String) {
    let row = system.finished(id).await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("{id} is not booked: {:?}", row.saga.phase)
    };
    (
        booking.payment_intent_id.clone(),
        booking.order.order_id.clone(),
    )
}

#[tokio::test]
async fn every_mismatch_class_is_found_and_only_the_old_orphaned_hold_is_released() {
    let system = spawn().await;
    let plant = Plant::new(&system.stack().sandbox);
    let doubled = system.submit(trip()).await;
    let refunded = system.submit(trip()).await;
    let unticketed = system.submit(trip()).await;
    let failed = system.submit(trip_with(declined)).await;
    let corrupt = system.submit(trip_with(declined)).await;
    let (_, _) = booking(&system, doubled).await;
    let (refunded_pi, _) = booking(&system, refunded).await;
    let (unticketed_pi, unticketed_order) = booking(&system, unticketed).await;
    for id in [failed, corrupt] {
        assert_eq!(system.finished(id).await.status, "failed");
    }
    let ghost = Uuid::now_v7();

    plant
        .charge(doubled, &format!("{doubled}:authorize:9"), 100)
        .await;
    plant.order(doubled).await;
    plant.refund(&refunded_pi, 500).await;
    plant.cancel_order(&unticketed_order).await;
    let failed_charge = plant
        .charge(failed, &format!("{failed}:authorize:7"), 2500)
        .await;
    let (failed_order, _) = plant.order(failed).await;
    let orphan = plant
        .hold(failed, &format!("{failed}:authorize:8"), 7000)
        .await;
    let ghost_charge = plant
        .charge(ghost, &format!("{ghost}:authorize:1"), 900)
        .await;
    let (ghost_order, _) = plant.order(ghost).await;
    let not_a_saga = serde_json::json!({"not": "a saga"});
    autobook_orchestrator::testing::sagas::overwrite_state(
        &system.stack().pool,
        corrupt,
        &not_a_saga,
    )
    .await
    .unwrap();
    // An hour later everything above is past the grace; a hold made now is not.
    system.stack().advance_clock(HOUR);
    let young = plant
        .hold(failed, &format!("{failed}:authorize:10"), 300)
        .await;

    let job = job(&system, recorded(&system), 48 * HOUR);
    let first = job.run_once(None).await.unwrap();
    let expected: BTreeSet<_> = [
        finding("double_capture", doubled),
        finding("double_order", doubled),
        finding("amount_mismatch", refunded),
        finding("capture_without_order", &unticketed_pi),
        finding("capture_on_compensated_saga", &failed_charge),
        finding("order_on_compensated_saga", &failed_order),
        finding("orphan_hold", &orphan),
        finding("unknown_saga", &ghost_charge),
        finding("unknown_saga", &ghost_order),
        finding("unreadable_saga", corrupt),
    ]
    .into();
    assert_eq!(found(&first), expected, "{first:#?}");
    assert!(!first.ok);
    assert_eq!(first.outcome, Outcome::Findings, "{:?}", first.incomplete);
    for handled in &first.findings {
        let wanted = if handled.finding.subject == orphan {
            Action::Released
        } else {
            Action::AwaitingOperator
        };
        assert_eq!(handled.action, wanted, "{handled:?}");
    }
    assert_eq!(first.released.len(), 1, "{:?}", first.released);
    assert_eq!(first.released[0].payment_intent_id, orphan);
    assert_eq!(first.released[0].saga_id, Some(failed));
    assert_eq!(first.released[0].amount.amount_minor, 7000);

    let ledger = system.ledger();
    let intent = |id: &str| {
        ledger
            .payment_intents
            .iter()
            .find(|i| i.id == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(intent(&orphan).status, "canceled");
    assert_eq!(
        intent(&orphan).cancellation_reason.as_deref(),
        Some("abandoned")
    );
    assert_eq!(
        intent(&young).status,
        "requires_capture",
        "a young hold stays"
    );
    let pool = &system.stack().pool;
    let waiting = history::open_counts(pool).await.unwrap();
    assert_eq!(
        waiting[&FindingClass::OrphanHold],
        0,
        "a released hold waits for no one"
    );
    assert_eq!(waiting[&FindingClass::DoubleCapture], 1);
    let since = chrono::Utc::now() - chrono::Duration::days(1);
    let releases = history::releases_since(pool, since, 10).await.unwrap();
    let [release] = releases.as_slice() else {
        panic!("{releases:?}")
    };
    assert_eq!(
        (
            release.payment_intent_id.as_str(),
            release.saga_id,
            release.amount_minor,
            release.currency.as_str(),
            release.idempotency_key.as_str(),
            release.released_by.as_str(),
            release.run_id
        ),
        (
            orphan.as_str(),
            Some(failed),
            7000,
            "USD",
            format!("reconcile:release:{orphan}").as_str(),
            "reconcile-test",
            first.run_id
        )
    );
    assert!(release.released_at.is_some());

    // A second run: the released hold is no longer a finding, nothing else
    // changes, nothing is released again.
    let before = statuses(&system);
    let second = job.run_once(None).await.unwrap();
    let mut remaining = expected.clone();
    remaining.remove(&finding("orphan_hold", &orphan));
    assert_eq!(found(&second), remaining);
    assert!(second.released.is_empty());
    assert_eq!(statuses(&system), before);
    assert_eq!(
        history::releases_since(pool, since, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let open = history::open_findings(pool, 100).await.unwrap();
    assert_eq!(open.len(), remaining.len());
    assert!(open.iter().all(|f| f.first_seen <= f.last_seen));
    let (action, resolved) = autobook_reconcile::testing::finding_outcome(pool, "orphan_hold")
        .await
        .unwrap();
    assert_eq!(action, "released");
    assert!(
        resolved.is_some(),
        "resolved by the run that no longer found it"
    );
    // What operators see.
    let shown = autobook_ops::reconcile::report(
        pool,
        &autobook_ops::reconcile::ReconcileArgs {
            limit: 100,
            days: 7,
        },
    )
    .await
    .unwrap();
    assert_eq!(shown.open_findings.len(), remaining.len());
    assert_eq!(shown.releases.len(), 1);
    assert_eq!(shown.last_run.map(|r| r.id), Some(second.run_id));
    system.teardown().await;
}

#[tokio::test]
async fn holds_sagas_count_on_stay_and_a_booking_told_of_a_capture_that_never_happened_is_found() {
    // No payment worker: the test answers the payment commands itself.
    let system = spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Order, WorkerKind::Notify];
    })
    .await;
    let plant = Plant::new(&system.stack().sandbox);
    let mut payments = Payments::take(&system).await;
    let told_captured = system.submit(trip()).await;
    let capturing = system.submit(trip()).await;
    let authorizing = system.submit(trip()).await;
    let mut holds = BTreeMap::new();
    for _ in 0..3 {
        let command = payments.next_of("payment.authorize").await;
        let Message::AuthorizePayment(authorize) = &command.message else {
            unreachable!()
        };
        // The hold is placed as the worker places it, under the step's key.
        let hold = plant
            .hold(
                command.saga_id,
                authorize.idempotency_key.as_str(),
                authorize.amount.amount_minor,
            )
            .await;
        holds.insert(command.saga_id, hold.clone());
        if command.saga_id != authorizing {
            let answer = PaymentAuthorized {
                idempotency_key: authorize.idempotency_key.clone(),
                payment_intent_id: hold,
                amount: authorize.amount,
            };
            reply(&system, &command, answer).await;
        }
    }
    for _ in 0..2 {
        let command = payments.next_of("payment.capture").await;
        let Message::CapturePayment(capture) = &command.message else {
            unreachable!()
        };
        if command.saga_id == told_captured {
            // Captured, says the stand-in; Stripe was never asked.
            let answer = PaymentCaptured {
                idempotency_key: capture.idempotency_key.clone(),
                payment_intent_id: capture.payment_intent_id.clone(),
                amount: capture.amount,
            };
            reply(&system, &command, answer).await;
        }
    }
    let (_, order) = booking(&system, told_captured).await;
    assert_eq!(system.saga(capturing).await.unwrap().status, "capturing");
    assert_eq!(
        system.saga(authorizing).await.unwrap().status,
        "authorizing"
    );
    system.stack().advance_clock(HOUR);

    let report = job(&system, recorded(&system), 48 * HOUR)
        .run_once(None)
        .await
        .unwrap();
    assert_eq!(
        found(&report),
        [finding("order_without_capture", &order)].into(),
        "{report:#?}"
    );
    assert_eq!(report.findings[0].finding.saga_id, Some(told_captured));
    assert!(report.released.is_empty());
    let now = statuses(&system);
    for saga in [told_captured, capturing, authorizing] {
        assert_eq!(
            now[&holds[&saga]], "requires_capture",
            "{saga}'s hold stays"
        );
    }
    system.teardown().await;
}

#[tokio::test]
async fn an_intent_named_by_a_late_webhook_event_is_judged_though_no_listing_shows_it() {
    let system = spawn().await;
    let stack = system.stack();
    let plant = Plant::new(&stack.sandbox);
    let ghost = Uuid::now_v7();
    let charge = plant
        .charge(ghost, &format!("{ghost}:authorize:1"), 4200)
        .await;
    stack.advance_clock(3 * HOUR);
    // Stripe delivers its event about the charge late; the receiver records
    // it (no saga of ours to tell) and passes nothing on.
    let secret = WebhookSecret::new("whsec_reconcile_tests");
    let context = WebhookContext::new(
        stack.pool.clone(),
        system.publisher_as(Identity::Gateway).await,
        secret.clone(),
        stack.clock.clone(),
    );
    let event = StripeEvent::new(
        "evt_late_1".into(),
        "payment_intent.succeeded",
        stack.clock.now().timestamp(),
        json!({
            "id": charge, "object": "payment_intent", "status": "succeeded",
            "metadata": { "saga_id": ghost.to_string() },
        }),
    );
    let body = serde_json::to_vec(&event).unwrap();
    let mut headers = HeaderMap::new();
    let signature = sign(&secret, stack.clock.now().timestamp(), &body);
    headers.insert("stripe-signature", signature.parse().unwrap());
    let answer = webhooks::deliver(&context, headers, Body::from(body)).await;
    assert_eq!(answer.status(), 200);

    // The listings cover the last hour only: the charge is older.
    let blind = job(&system, NoEvents, HOUR).run_once(None).await.unwrap();
    assert!(blind.findings.is_empty(), "{blind:#?}");
    let told = job(&system, recorded(&system), HOUR)
        .run_once(None)
        .await
        .unwrap();
    assert_eq!(found(&told), [finding("unknown_saga", &charge)].into());
    assert_eq!(told.examined.webhook_intents, 1);
    system.teardown().await;
}

#[tokio::test]
async fn a_run_fenced_out_by_a_newer_lease_holder_writes_nothing() {
    let system = spawn_with(|config| config.worker_kinds = Vec::new()).await;
    let pool = &system.stack().pool;
    let now = chrono::Utc::now();
    let run = |id: Uuid| RunRow {
        id,
        instance: "fence-test",
        started_at: now,
        finished_at: now,
        window_start: now,
        outcome: Outcome::Ok,
        incomplete: &[],
        findings: &[],
        released: 0,
    };
    record_run(pool, &run(Uuid::now_v7()), Some(10))
        .await
        .unwrap();
    let stale = record_run(pool, &run(Uuid::now_v7()), Some(5)).await;
    assert!(matches!(stale, Err(JobError::Fenced)), "{stale:?}");
    record_run(pool, &run(Uuid::now_v7()), Some(11))
        .await
        .unwrap();
    let runs = history::last_runs(pool, 10).await.unwrap();
    assert_eq!(runs.len(), 2, "the fenced-out run left no row");
    system.teardown().await;
}
