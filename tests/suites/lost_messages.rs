//! Messages lost from the broker and providers slower than the client's
//! timeout: every saga still ends booked, failed with its hold released,
//! or `stuck` with its reason, never waiting in silence.
//!
//! - A command taken off its queue (consumed and dropped): the step's
//!   deadline passes and the same command is sent again.
//! - A reply taken off the orchestrator's queue: the same, and the worker
//!   replays the reply it stored.
//! - A provider slower than the client's timeout until the worker's
//!   retries run out: the worker answers "outcome unknown", the saga
//!   re-checks, and books once the provider is back, or is stuck if it
//!   never comes back.

use std::time::Duration;

use autobook_contracts::{MessageType, QueueRole};
use autobook_harness::stack::StackConfig;
use autobook_orchestrator::saga::{Phase, StepDeadlines};
use autobook_sandbox::Faults;
use autobook_tests::control::held;
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn_with};
use autobook_workers::WorkerKind;

/// A system whose steps get no reply for two seconds before being sent
/// again, whose transient failures are retried quickly, and whose provider
/// calls time out after 300 ms.
async fn spawn_short_deadlines() -> TestSystem {
    spawn_with(short_deadlines).await
}

/// Steps answered within 2 s, retried after 50 and 100 ms, providers
/// timed out after 300 ms.
fn short_deadlines(config: &mut StackConfig) {
    config.orchestrator.policy.step_deadlines = StepDeadlines::uniform(Duration::from_secs(2));
    config.topology = config.topology.clone().with_retry_delays_ms(vec![50, 100]);
    config.provider_timeout = Duration::from_millis(300);
}

/// The sandbox's answers slower than the client's timeout (or back to
/// normal).
fn slow_providers(system: &TestSystem, slow: bool) {
    let latency = if slow { (800, 800) } else { (0, 0) };
    system.stack().sandbox.set_faults(Faults {
        latency_ms: latency,
        ..Faults::default()
    });
}

fn booked_once(system: &TestSystem, row: &autobook_orchestrator::store::SagaRow) {
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{:?}",
        row.saga.phase
    );
    let ledger = system.ledger();
    assert_eq!(
        ledger.payment_intents.len(),
        1,
        "{:?}",
        ledger.payment_intents
    );
    assert_eq!(
        ledger
            .payment_intents
            .iter()
            .filter(|intent| intent.amount_received > 0)
            .count(),
        1
    );
    assert_eq!(ledger.orders.len(), 1, "{:?}", ledger.orders);
}

#[tokio::test]
async fn a_command_lost_from_its_queue_is_sent_again_after_its_deadline() {
    // No payment worker until the command is lost: the thief is the only
    // consumer of the first hold's command.
    let system = spawn_with(|config| {
        short_deadlines(config);
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Order, WorkerKind::Notify];
    })
    .await;
    let mut thief = system
        .steal_first(QueueRole::Payment, MessageType::AuthorizePayment)
        .await;
    let id = system.submit(trip()).await;
    let lost = thief.stolen(Duration::from_secs(60)).await;
    assert_eq!(lost.saga_id, id);
    let _payment = system.stack().start_workers(&[WorkerKind::Payment]);
    let row = system.finished(id).await;
    booked_once(&system, &row);
    let statuses = system.audit_statuses(id).await;
    assert!(
        statuses
            .windows(2)
            .any(|w| w == ["authorizing", "authorizing"]),
        "the hold was asked for again: {statuses:?}"
    );
    system.teardown().await;
}

#[tokio::test]
async fn a_reply_lost_on_its_way_back_is_replayed_after_the_deadline() {
    let system = spawn_short_deadlines().await;
    let mut thief = system
        .steal_first(QueueRole::Orchestrator, MessageType::PaymentAuthorized)
        .await;
    let id = system.submit(trip()).await;
    let lost = thief.stolen(Duration::from_secs(60)).await;
    assert_eq!(lost.saga_id, id);
    let row = system.finished(id).await;
    booked_once(&system, &row);
    system.teardown().await;
}

#[tokio::test]
async fn a_provider_slower_than_the_timeout_leads_to_a_re_check_not_silence() {
    let system = spawn_with(|config| {
        config.orchestrator.policy.step_deadlines = StepDeadlines::uniform(Duration::from_secs(30));
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50, 100]);
        config.provider_timeout = Duration::from_millis(300);
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Payment, WorkerKind::Notify];
    })
    .await;
    let id = held(&system).await;
    // Duffel answers too late for every try of the order and its look-up.
    slow_providers(&system, true);
    let mut unknown = system.observe(&["step.outcome_unknown"]).await;
    let _order = system.stack().start_workers(&[WorkerKind::Order]);
    let gave_up = unknown
        .next(Duration::from_secs(30))
        .await
        .expect("the worker gave up and said so");
    assert_eq!(gave_up.saga_id, id);
    system.handled(gave_up.message_id).await;
    let row = system.saga(id).await.unwrap();
    assert!(
        matches!(row.saga.phase, Phase::OutcomeUnknown { .. }),
        "{:?}",
        row.saga.phase
    );
    slow_providers(&system, false);
    let row = system.finished(id).await;
    booked_once(&system, &row);
    system.teardown().await;
}

#[tokio::test]
async fn a_provider_that_never_answers_in_time_leaves_the_saga_stuck_with_its_reason() {
    let system = spawn_with(|config| {
        config.orchestrator.policy.step_deadlines = StepDeadlines::uniform(Duration::from_secs(30));
        config.orchestrator.policy.max_rechecks = 2;
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50]);
        config.provider_timeout = Duration::from_millis(300);
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Payment, WorkerKind::Notify];
    })
    .await;
    let id = held(&system).await;
    slow_providers(&system, true);
    let _order = system.stack().start_workers(&[WorkerKind::Order]);
    let row = system.reaches(id, "stuck").await;
    let Phase::Stuck { problem, .. } = &row.saga.phase else {
        panic!("{:?}", row.saga.phase);
    };
    assert!(problem.contains("order"), "{problem}");
    slow_providers(&system, false);
    // The hold waits for an operator to settle: nothing was captured, and
    // at most one order exists.
    let ledger = system.ledger();
    assert!(ledger.orders.len() <= 1, "{:?}", ledger.orders);
    assert!(
        ledger
            .payment_intents
            .iter()
            .all(|i| i.amount_received == 0),
        "{:?}",
        ledger.payment_intents
    );
    system.teardown().await;
}
