//! Taking over a provider call in flight rests on what the broker itself
//! says (a redelivery) and on the provider-call ledger (a claim released,
//! a lease run out), never on the `x-autobook-attempts` header, which any
//! publisher sets: a command copied with a forged header makes no provider
//! call while the call's claim is live, and a forged "last attempt" at
//! worst makes the worker answer "outcome unknown" early, which the saga
//! re-checks. An owner that cannot reach the ledger to store its reply
//! keeps trying instead of leaving its claim to a lease.

use std::time::Duration;

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

use autobook_contracts::senders::Identity;
use autobook_contracts::topology::headers;
use autobook_contracts::{Envelope, MessageType, QueueRole};
use autobook_orchestrator::saga::{Phase, StepDeadlines};
use autobook_sandbox::Faults;
use autobook_tests::TestSystem;
use autobook_tests::spawn_with;
use autobook_tests::trips::trip;
use autobook_workers::WorkerKind;
use autobook_workers::testing as ledger;

/// Publishes `command` onto its queue as a copy carrying `attempts` in
/// its `x-autobook-attempts` header, as the orchestrator (a leaked
/// credential and message key: the worst case).
async fn publish_with_attempts(system: &TestSystem, command: &Envelope, attempts: u32) {
    let mut table = FieldTable::default();
    table.insert(headers::ATTEMPTS.into(), AMQPValue::LongUInt(attempts));
    let properties = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(command.message_id.to_string().into())
        .with_headers(table);
    system
        .publisher_as(Identity::Orchestrator)
        .await
        .publish_signed(
            &system.topology.commands_exchange(),
            command.message_type().as_str(),
            &system.stack().vault.seal_envelope(&command.encode()),
            properties,
        )
        .await
        .unwrap();
}

fn stripe_requests(system: &TestSystem) -> u64 {
    system
        .ledger()
        .traffic
        .get("stripe")
        .map_or(0, |traffic| traffic.requests)
}

#[tokio::test]
async fn a_forged_attempts_header_does_not_take_over_a_live_claim() {
    let system = spawn_with(|config| {
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50, 100]);
    })
    .await;
    let id = system.submit(trip()).await;
    system.finished(id).await;
    let capture = system
        .commands(id)
        .await
        .into_iter()
        .find(|command| command.message_type() == MessageType::CapturePayment)
        .unwrap();
    let key = capture.message.idempotency_key().unwrap().clone();
    let pool = &system.stack().pool;
    // A live owner is capturing right now, as far as the ledger knows.
    let fence = ledger::reopen_claim(pool, key.as_str(), 0.0)
        .await
        .unwrap()
        .fence;
    let (before, intents) = (stripe_requests(&system), system.ledger().payment_intents);

    // As if it came back from a retry queue (1), or from the last one (9).
    for attempts in [1, 9] {
        publish_with_attempts(&system, &capture, attempts).await;
        let dead = system.dead_letter(QueueRole::Payment).await;
        assert_eq!(
            dead.code, "retries_exhausted:claim_in_flight",
            "{}",
            dead.reason
        );
    }
    assert_eq!(
        stripe_requests(&system),
        before,
        "no call, not even a look-up"
    );
    assert_eq!(system.ledger().payment_intents, intents);
    let call = ledger::call(pool, key.as_str()).await.unwrap();
    let (status, after) = (call.status, call.fence);
    assert_eq!(
        (status.as_str(), after),
        ("in_flight", fence),
        "not taken over"
    );
    system.teardown().await;
}

/// A copy of the order command claiming to be its last attempt reaches the
/// worker first while Duffel answers too late: the worker answers "outcome
/// unknown" at once instead of retrying, the saga re-checks, and the trip
/// books with one order.
#[tokio::test]
async fn a_forged_last_attempt_at_worst_brings_an_early_re_check() {
    let system = spawn_with(|config| {
        config.orchestrator.policy.step_deadlines = StepDeadlines::uniform(Duration::from_secs(30));
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50, 100]);
        config.provider_timeout = Duration::from_millis(300);
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Payment, WorkerKind::Notify];
    })
    .await;
    let mut thief = system
        .steal_first(QueueRole::Order, MessageType::CreateOrder)
        .await;
    let id = system.submit(trip()).await;
    let order = thief.stolen(Duration::from_secs(60)).await;
    drop(thief);
    let slow = |on: bool| {
        system.stack().sandbox.set_faults(Faults {
            latency_ms: if on { (800, 800) } else { (0, 0) },
            ..Faults::default()
        })
    };
    slow(true);
    let mut unknown = system.observe(&["step.outcome_unknown"]).await;
    publish_with_attempts(&system, &order, 99).await;
    let _order = system.stack().start_workers(&[WorkerKind::Order]);
    let gave_up = unknown
        .next(Duration::from_secs(30))
        .await
        .expect("the worker answered outcome unknown");
    assert_eq!(gave_up.causation_id, Some(order.message_id));
    system.handled(gave_up.message_id).await;
    let row = system.saga(id).await.unwrap();
    assert!(
        matches!(row.saga.phase, Phase::OutcomeUnknown { .. }),
        "{:?}",
        row.saga.phase
    );
    slow(false);
    let row = system.finished(id).await;
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{:?}",
        row.saga.phase
    );
    assert_eq!(
        system.ledger().orders.len(),
        1,
        "{:?}",
        system.ledger().orders
    );
    system.teardown().await;
}

/// The notify worker has sent the email, but the ledger refuses to store
/// the reply as if the database were unreachable: the worker keeps trying
/// under its own claim, and answers once the database is back; no other
/// attempt takes the call over and no second email goes out.
#[tokio::test]
async fn an_owner_that_cannot_reach_the_ledger_keeps_its_claim_and_answers_once_it_can() {
    let system = spawn_with(|config| {
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50, 100]);
    })
    .await;
    let pool = &system.stack().pool;
    ledger::refuse_completions(pool, "notification.send")
        .await
        .unwrap();
    let id = system.submit(trip()).await;
    // Waits (bounded) until the worker has been refused twice.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if ledger::refused_completions(pool).await.unwrap() >= 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reply was never refused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(system.ledger().emails.len(), 1, "the email went out");
    ledger::allow_completions(pool).await.unwrap();
    let row = system.finished(id).await;
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{:?}",
        row.saga.phase
    );
    let call = ledger::call_of_step(pool, id, "notification.send")
        .await
        .unwrap();
    let (status, fence) = (call.status, call.fence);
    assert_eq!(
        (status.as_str(), fence),
        ("completed", 1),
        "never taken over"
    );
    assert_eq!(system.ledger().emails.len(), 1, "no second email");
    system.teardown().await;
}
