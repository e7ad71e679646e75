//! Operating the system by hand (`autobook ops`), called in-process: stuck
//! sagas listed, retried and aborted with who and why in their history;
//! dead letters archived, replayed only when they can succeed now, and kept
//! when refused.
//!
//! A stuck saga needs a compensation that keeps failing. The sandbox can
//! only fail a void transiently (a scripted 429 or 503), and the worker
//! never reports that as `payment.void_failed`: after its retries the
//! command is dead-lettered (429) or the outcome reported unknown (503).
//! So the void really fails at the sandbox, and the two `payment.void_failed`
//! replies that exhaust the compensation budget are published on the events
//! exchange as the payment worker would send them.
//!
//! A worker command that is dead-lettered for certain comes from the
//! provider-call ledger refusing writes (a trigger on `provider_calls` for
//! one saga): the worker cannot claim the call, and with no retry queues
//! the command is dead-lettered at once. Dropping the trigger is the fix.

use std::future::Future;
use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::events::{HoldVoided, SagaTimer, TimerFired, VoidFailed};
use autobook_contracts::notification::FailureReason;
use autobook_contracts::senders::Identity;
use autobook_contracts::{Envelope, IdempotencyKey, QueueRole, Step};
use autobook_ops::dlq::{self, Filter, ReplayOutcome, Selection};
use autobook_ops::output::Render;
use autobook_ops::saga::{self as ops_saga, OperatorAction, RequestResult};
use autobook_orchestrator::admin::dead_letters::DeadLetterSummary;
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::store::SagaRow;
use autobook_orchestrator::testing::{dead_letters, inbox};
use autobook_sandbox::FaultScript;
use autobook_sandbox::script::{OrderFault, VoidFault};
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn_with};
use autobook_workers::testing as ledger;

/// Calls the worker makes for one void before it gives up (the harness'
/// retry policy: 4 retries; a call ending on a 429 does not start over),
/// under each generation of the key it may try (a 5xx that leaves the
/// hold in place proves the key's effect absent, and the next one is
/// tried).
const VOID_CALLS_PER_DELIVERY: usize =
    5 * autobook_workers::payment::keyed::MAX_GENERATIONS as usize;

/// A system whose transient failures are dead-lettered at once (no retry
/// queues), whose dead letters are archived, and whose sagas are stuck
/// after two failed compensation attempts. The compensation's retry timer
/// is far off, so only the replies a test sends move a failing void on.
pub(crate) async fn spawn_ops() -> TestSystem {
    spawn_with(|config| {
        config.topology = config.topology.clone().with_retry_delays_ms(Vec::new());
        config.orchestrator.archive_dead_letters = true;
        config.orchestrator.policy.max_compensation_attempts = 2;
        config.orchestrator.policy.compensation_retry_delay = Duration::from_secs(120);
        config.orchestrator.policy.max_retry_delay = Duration::from_secs(120);
        config.retry.rate_limited_rounds = 0;
    })
    .await
}

/// Waits (up to 30 s) until `probe` finds something.
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn saga_in(system: &TestSystem, id: Uuid, status: &str) -> SagaRow {
    eventually(&format!("saga {id} to be {status}"), || async move {
        system.saga(id).await.filter(|row| row.status == status)
    })
    .await
}

/// The archived dead letter of `saga_id` with `code`, once it is there.
pub(crate) async fn archived(pool: &PgPool, saga_id: Uuid, code: &str) -> Uuid {
    eventually(
        &format!("a {code} dead letter of saga {saga_id}"),
        || async move {
            dead_letters::of_saga_with_code(pool, saga_id, code)
                .await
                .unwrap()
                .into_iter()
                .next()
        },
    )
    .await
}

/// The archived dead letter `id`'s summary.
pub(crate) async fn letter(pool: &PgPool, id: Uuid) -> DeadLetterSummary {
    autobook_orchestrator::admin::dead_letters::fetch(pool, id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("dead letter {id} is archived"))
        .summary
}

async fn replayed_at(pool: &PgPool, id: Uuid) -> Option<chrono::DateTime<chrono::Utc>> {
    letter(pool, id).await.replayed_at
}

/// The void step of a saga releasing its hold, directly or while its
/// outcome is unknown: its key and the payment intent.
pub(crate) fn void_step(row: &SagaRow) -> Option<(IdempotencyKey, String)> {
    let phase = match &row.saga.phase {
        Phase::OutcomeUnknown { waiting, .. } => waiting.as_ref(),
        phase => phase,
    };
    match phase {
        Phase::ReleasingHold { key, hold, .. } => {
            Some((key.clone(), hold.payment_intent_id.clone()))
        }
        _ => None,
    }
}

/// Starts a trip whose order is refused and whose hold the sandbox will
/// not void (every call of one void delivery fails), and waits until the
/// worker has given up: the command dead-lettered (a 429 last) or the
/// outcome reported unknown (a 503 last; the re-check is far off).
pub(crate) async fn start_failing_void(system: &TestSystem, saga_id: Uuid) -> IdempotencyKey {
    system.script(FaultScript {
        orders: vec![OrderFault::Rejected],
        voids: vec![VoidFault::Transient; VOID_CALLS_PER_DELIVERY],
        ..FaultScript::default()
    });
    system.stack().submit(saga_id, trip()).await.unwrap();
    let pool = &system.stack().pool;
    let key = eventually(
        &format!("the void of saga {saga_id} to give up"),
        || async move {
            let row = system.saga(saga_id).await?;
            let (key, _) = void_step(&row)?;
            let dead = !dead_letters::of_saga_with_code(
                pool,
                saga_id,
                "retries_exhausted:provider_unavailable",
            )
            .await
            .unwrap()
            .is_empty();
            (dead || row.status == "outcome_unknown").then_some(key)
        },
    )
    .await;
    assert_eq!(key, IdempotencyKey::derive(saga_id, Step::Void, 1));
    provider_back(system).await;
    key
}

/// Stripe recovers: the scripted void failures the worker did not meet
/// (it gave up on a 429 before trying every key) are used up on an intent
/// that does not exist.
pub(crate) async fn provider_back(system: &TestSystem) {
    let sandbox = &system.stack().sandbox;
    let client = reqwest::Client::new();
    while !sandbox.remaining_script().voids.is_empty() {
        client
            .post(format!(
                "{}/v1/payment_intents/pi_3Nothing0000000000000000/cancel",
                sandbox.stripe_url
            ))
            .bearer_auth("sk_test_sandbox")
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
    }
}

/// Makes the provider-call ledger refuse the void of `saga_id` (a trigger),
/// starts a trip whose order is refused, and waits until its void command
/// is dead-lettered and the saga waits in `releasing_hold`. Returns the
/// dead letter's id; [`restore_ledger`] is the fix.
pub(crate) async fn start_unclaimable_void(system: &TestSystem, saga_id: Uuid) -> Uuid {
    let pool = &system.stack().pool;
    let name = trigger_name(saga_id);
    ledger::refuse_claims(pool, &name, saga_id, "payment.void")
        .await
        .unwrap();
    system.script(FaultScript {
        orders: vec![OrderFault::Rejected],
        ..FaultScript::default()
    });
    system.stack().submit(saga_id, trip()).await.unwrap();
    let dead = archived(pool, saga_id, "retries_exhausted:ledger_unavailable").await;
    saga_in(system, saga_id, "releasing_hold").await;
    dead
}

pub(crate) fn trigger_name(saga_id: Uuid) -> String {
    format!("refuse_{}", saga_id.simple())
}

/// Drops the trigger of [`start_unclaimable_void`]: the ledger is back.
pub(crate) async fn restore_ledger(system: &TestSystem, saga_id: Uuid) {
    ledger::allow_claims(&system.stack().pool, &trigger_name(saga_id))
        .await
        .unwrap();
}

/// Reports the void failed twice, as the payment worker would: the saga
/// runs out of compensation attempts and is stuck.
pub(crate) async fn exhaust_compensation(system: &TestSystem, saga_id: Uuid, key: &IdempotencyKey) {
    let row = system.saga(saga_id).await.unwrap();
    let (_, payment_intent_id) = void_step(&row).unwrap();
    for _ in 0..2 {
        let failed = VoidFailed {
            idempotency_key: key.clone(),
            payment_intent_id: payment_intent_id.clone(),
            detail: "payment intent is RequiresCapture; the hold could not be released".into(),
            permanent: false,
        };
        let failed = system.answer(saga_id, failed).await;
        let payment = system.publisher_as(Identity::Payment).await;
        payment.publish(&failed).await.unwrap();
    }
    saga_in(system, saga_id, "stuck").await;
}

#[tokio::test]
async fn a_stuck_saga_is_listed_retried_or_aborted_by_an_operator() {
    let system = spawn_ops().await;
    let pool = system.stack().pool.clone();
    let vault = system.stack().vault.clone();

    let retried = Uuid::now_v7();
    let key = start_failing_void(&system, retried).await;
    exhaust_compensation(&system, retried, &key).await;

    let stuck = ops_saga::list(&pool, "stuck", 50).await.unwrap();
    let [listed] = stuck.sagas.as_slice() else {
        panic!("{stuck:?}")
    };
    assert_eq!(listed.id, retried);
    let problem = listed.problem.clone().unwrap_or_default();
    assert!(
        problem.contains("hold could not be released after 2 attempts"),
        "{problem}"
    );
    assert!(stuck.render().contains(&retried.to_string()));
    let bogus = ops_saga::list(&pool, "needs_help", 50).await.unwrap_err();
    assert!(bogus.to_string().contains("unknown saga status"), "{bogus}");
    let shown = ops_saga::show(&pool, &vault, retried)
        .await
        .unwrap()
        .unwrap();
    assert!(
        shown
            .details
            .iter()
            .any(|d| d.name == "retry resumes" && d.value.contains(key.as_str())),
        "{:?}",
        shown.details
    );

    // The provider is back (the scripted failures are used up): retry.
    let outcome = ops_saga::request(
        &pool,
        &vault,
        retried,
        OperatorAction::Retry,
        "ana",
        "Stripe is back; release the hold",
    )
    .await
    .unwrap();
    assert_eq!(
        outcome.result,
        RequestResult::Applied {
            from: "stuck".into(),
            to: "releasing_hold".into(),
            version: shown.version + 1
        }
    );
    let done = saga_in(&system, retried, "failed").await;
    assert!(
        matches!(
            done.saga.phase,
            Phase::Failed {
                reason: FailureReason::OrderRejected,
                notified: true
            }
        ),
        "{:?}",
        done.saga.phase
    );
    let intent = system.ledger().payment_intents;
    let [intent] = intent.as_slice() else {
        panic!("{intent:?}")
    };
    assert_eq!(
        (intent.status.as_str(), intent.amount_received),
        ("canceled", 0),
        "the retried void released the hold"
    );
    let report = ops_saga::show(&pool, &vault, retried)
        .await
        .unwrap()
        .unwrap();
    let by_hand = report
        .history
        .iter()
        .find(|h| h.message_type == "saga.retry_requested")
        .expect("the retry is in the history");
    assert_eq!(
        (by_hand.from_status.as_deref(), by_hand.to_status.as_str()),
        (Some("stuck"), "releasing_hold")
    );
    assert_eq!(
        by_hand.note.as_deref(),
        Some("ana: Stripe is back; release the hold")
    );
    assert!(by_hand.effects.contains(&"send payment.void".to_owned()));
    assert!(
        report
            .render()
            .contains("ana: Stripe is back; release the hold")
    );

    // A saga that is not stuck refuses both, and does not change.
    for action in [OperatorAction::Retry, OperatorAction::Abort] {
        let refused = ops_saga::request(&pool, &vault, retried, action, "ana", "again")
            .await
            .unwrap();
        let RequestResult::Refused(refusal) = &refused.result else {
            panic!("{refused:?}")
        };
        assert_eq!(refusal.code, "illegal_transition", "{refusal:?}");
        assert!(refusal.reason.contains("failed"), "{refusal:?}");
    }
    assert_eq!(system.saga(retried).await.unwrap().version, done.version);
    let missing = ops_saga::request(
        &pool,
        &vault,
        Uuid::now_v7(),
        OperatorAction::Retry,
        "ana",
        "x",
    )
    .await
    .unwrap();
    assert!(missing.refused());

    // Another stuck saga, settled outside autobook: abort it.
    let aborted = Uuid::now_v7();
    let key = start_failing_void(&system, aborted).await;
    exhaust_compensation(&system, aborted, &key).await;
    let outcome = ops_saga::request(
        &pool,
        &vault,
        aborted,
        OperatorAction::Abort,
        "bo",
        "hold voided in the Stripe dashboard",
    )
    .await
    .unwrap();
    assert!(
        matches!(&outcome.result, RequestResult::Applied { to, .. } if to == "aborted"),
        "{outcome:?}"
    );
    let row = system.saga(aborted).await.unwrap();
    assert!(row.terminal);
    let Phase::Aborted {
        operator, reason, ..
    } = &row.saga.phase
    else {
        panic!("{:?}", row.saga.phase)
    };
    assert_eq!(
        (operator.as_str(), reason.as_str()),
        ("bo", "hold voided in the Stripe dashboard")
    );
    let report = ops_saga::show(&pool, &vault, aborted)
        .await
        .unwrap()
        .unwrap();
    let last = report.history.last().unwrap();
    assert_eq!(
        (last.message_type.as_str(), last.note.as_deref()),
        (
            "saga.abort_requested",
            Some("bo: hold voided in the Stripe dashboard")
        )
    );
    let again = ops_saga::request(&pool, &vault, aborted, OperatorAction::Retry, "bo", "oops")
        .await
        .unwrap();
    assert!(again.refused(), "an aborted saga stays aborted");
    assert!(
        ops_saga::list(&pool, "stuck", 50)
            .await
            .unwrap()
            .sagas
            .is_empty()
    );
    system.teardown().await;
}

#[tokio::test]
async fn dead_letters_are_archived_and_replayed_only_when_they_can_succeed() {
    let system = spawn_ops().await;
    let pool = system.stack().pool.clone();
    let vault = system.stack().vault.clone();
    let publisher = system.stack().publisher.clone();
    let topology = system.topology.clone();

    // Malformed messages on two queues: archived with code, reason, source.
    system
        .publish_raw(&topology.events_exchange(), "trip.requested", b"{not json")
        .await;
    system
        .publish_raw(
            &topology.commands_exchange(),
            "payment.authorize",
            b"{not json either",
        )
        .await;
    let archive = &pool;
    let malformed = eventually("both malformed messages archived", || async move {
        let list = dlq::list(
            archive,
            &Filter {
                code: Some("not_json".into()),
                ..Filter::default()
            },
        )
        .await
        .unwrap();
        (list.dead_letters.len() == 2).then_some(list)
    })
    .await;
    let by_role = |role: QueueRole| {
        malformed
            .dead_letters
            .iter()
            .find(|d| d.role == role.as_str())
            .unwrap()
            .clone()
    };
    let garbage = by_role(QueueRole::Orchestrator);
    assert_eq!(
        garbage.source_queue,
        topology.queue(QueueRole::Orchestrator)
    );
    assert!(
        garbage.reason.starts_with("body is not JSON"),
        "{garbage:?}"
    );
    assert_eq!(garbage.attempts, 0);
    assert_eq!(
        by_role(QueueRole::Payment).source_queue,
        topology.queue(QueueRole::Payment)
    );
    let detail = dlq::show(&pool, &vault, garbage.id).await.unwrap().unwrap();
    assert_eq!(detail.body, "{not json");
    assert_eq!(detail.headers["x-autobook-error-code"], "not_json");
    assert!(detail.render().contains("{not json"));
    let refused = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::One(garbage.id),
        false,
        "ana",
    )
    .await
    .unwrap();
    assert_eq!(refused.not_replayed(), 1);
    let ReplayOutcome::Refused { reason } = &refused.reports[0].outcome else {
        panic!("{refused:?}")
    };
    assert!(
        reason.starts_with("cannot replay: body is not JSON"),
        "{reason}"
    );
    assert_eq!(replayed_at(&pool, garbage.id).await, None, "the row stays");

    // A worker command that failed for good while its ledger was down:
    // once it is back, the replayed command releases the hold for real.
    let fixed = Uuid::now_v7();
    let void = start_unclaimable_void(&system, fixed).await;
    let void_message_id = letter(&pool, void)
        .await
        .message_id
        .expect("the void command's message id");
    let dry = dlq::replay(
        &pool,
        &vault,
        None,
        &Selection::Matching {
            role: Some(QueueRole::Payment),
            code: Some("retries_exhausted:ledger_unavailable".into()),
        },
        true,
        "ana",
    )
    .await
    .unwrap();
    assert!(
        matches!(dry.reports.as_slice(), [r] if r.id == void && matches!(r.outcome, ReplayOutcome::WouldReplay { .. })),
        "{dry:?}"
    );
    assert_eq!(
        replayed_at(&pool, void).await,
        None,
        "a dry run changes nothing"
    );
    restore_ledger(&system, fixed).await;
    let replayed = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::Matching {
            role: Some(QueueRole::Payment),
            code: None,
        },
        false,
        "ana",
    )
    .await
    .unwrap();
    let [not_json, replayed_void] = replayed.reports.as_slice() else {
        panic!("{replayed:?}")
    };
    assert_eq!(not_json.id, by_role(QueueRole::Payment).id);
    assert!(
        matches!(&not_json.outcome, ReplayOutcome::Refused { reason } if reason.starts_with("cannot replay: body is not JSON")),
        "{not_json:?}"
    );
    assert_eq!(
        (replayed_void.id, &replayed_void.outcome),
        (
            void,
            &ReplayOutcome::Replayed {
                queue: topology.queue(QueueRole::Payment)
            }
        )
    );
    let done = system.finished(fixed).await;
    assert!(
        matches!(done.saga.phase, Phase::Failed { .. }),
        "{:?}",
        done.saga.phase
    );
    let call = ledger::call_of_step(&pool, fixed, "payment.void")
        .await
        .unwrap();
    let (command_message_id, fence) = (call.command_message_id, call.fence);
    assert_eq!(
        (command_message_id, fence),
        (void_message_id, 1),
        "the replayed command kept its message id"
    );
    let note = letter(&pool, void).await.replay_note;
    assert_eq!(
        note,
        Some(format!(
            "replayed to {} by ana",
            topology.queue(QueueRole::Payment)
        ))
    );
    let voided = system
        .ledger()
        .payment_intents
        .iter()
        .filter(|i| i.status == "canceled")
        .count();
    assert_eq!(voided, 1, "the replayed void released the hold");

    // An old reply for a step the saga has left: dead-lettered, then
    // refused on replay with the reason, and kept.
    let row = system.saga(fixed).await.unwrap();
    let late = system
        .answer(
            fixed,
            HoldVoided {
                idempotency_key: IdempotencyKey::derive(fixed, Step::Void, 1),
                payment_intent_id: "pi_late".into(),
            },
        )
        .await;
    let payment = system.publisher_as(Identity::Payment).await;
    payment.publish(&late).await.unwrap();
    let stale = archived(&pool, fixed, "illegal_transition").await;
    let refused = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::One(stale),
        false,
        "ana",
    )
    .await
    .unwrap();
    let ReplayOutcome::Refused { reason } = &refused.reports[0].outcome else {
        panic!("{refused:?}")
    };
    assert!(
        reason.starts_with("stale (illegal_transition)") && reason.contains("failed"),
        "{reason}"
    );
    assert!(refused.render().contains("refused"));
    assert_eq!(replayed_at(&pool, stale).await, None);
    assert_eq!(system.saga(fixed).await.unwrap().version, row.version);

    // A reply that answers none of the saga's commands: dead-lettered,
    // and refused on replay with the reason.
    let forged = Envelope::new(
        fixed,
        HoldVoided {
            idempotency_key: IdempotencyKey::derive(fixed, Step::Void, 1),
            payment_intent_id: "pi_forged".into(),
        },
    );
    payment.publish(&forged).await.unwrap();
    let forged = archived(&pool, fixed, "unknown_cause").await;
    let refused = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::One(forged),
        false,
        "ana",
    )
    .await
    .unwrap();
    assert!(
        matches!(&refused.reports[0].outcome, ReplayOutcome::Refused { reason } if reason.starts_with("refused (unknown_cause)")),
        "{refused:?}"
    );
    assert_eq!(replayed_at(&pool, forged).await, None);

    // An event that arrived before its saga existed fits once the saga
    // waits for it: replayed, it completes the saga, with its message id.
    // (A timer: a worker's reply never can, it must answer a command of
    // its saga.)
    let early_saga = Uuid::now_v7();
    let early = Envelope::new(
        early_saga,
        TimerFired {
            timer: SagaTimer::RetryCompensation {
                idempotency_key: IdempotencyKey::derive(early_saga, Step::Void, 1),
            },
        },
    );
    system
        .publisher_as(Identity::Orchestrator)
        .await
        .publish(&early)
        .await
        .unwrap();
    let early_letter = archived(&pool, early_saga, "unknown_saga").await;
    let too_soon = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::One(early_letter),
        false,
        "ana",
    )
    .await
    .unwrap();
    assert!(
        matches!(&too_soon.reports[0].outcome, ReplayOutcome::Refused { reason } if reason.contains("no saga")),
        "{too_soon:?}"
    );
    let old_void = start_unclaimable_void(&system, early_saga).await;
    restore_ledger(&system, early_saga).await;
    let replayed = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::Matching {
            role: None,
            code: Some("unknown_saga".into()),
        },
        false,
        "ana",
    )
    .await
    .unwrap();
    assert_eq!(replayed.not_replayed(), 0, "{replayed:?}");
    assert!(replayed_at(&pool, early_letter).await.is_some());
    let done = system.finished(early_saga).await;
    assert!(
        matches!(done.saga.phase, Phase::Failed { .. }),
        "{:?}",
        done.saga.phase
    );
    let handled = inbox::message_type(&pool, early.message_id).await.unwrap();
    assert_eq!(handled.as_deref(), Some("saga.timer_fired"));
    // Now the dead-lettered void of that saga is stale; replaying the
    // event again finds it handled.
    let again = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::All,
        false,
        "ana",
    )
    .await
    .unwrap();
    let outcome_of = |id| {
        again
            .reports
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.outcome.clone())
    };
    assert!(
        matches!(outcome_of(old_void), Some(ReplayOutcome::Refused { reason }) if reason.starts_with("stale: the saga is failed")),
        "{again:?}"
    );
    assert!(
        again.reports.iter().all(|r| !r.succeeded()),
        "nothing else can be replayed: {again:?}"
    );
    assert_eq!(
        outcome_of(early_letter),
        None,
        "--all selects only dead letters not replayed yet"
    );
    let twice = dlq::replay(
        &pool,
        &vault,
        Some(&publisher),
        &Selection::One(early_letter),
        false,
        "ana",
    )
    .await
    .unwrap();
    assert!(
        matches!(&twice.reports[0].outcome, ReplayOutcome::Refused { reason } if reason.starts_with("already replayed")),
        "{twice:?}"
    );

    // Purging needs a selector and removes exactly what it names.
    assert!(Selection::new(None, None, None, false).is_err());
    let purged = dlq::purge(
        &pool,
        &Selection::Matching {
            role: None,
            code: Some("not_json".into()),
        },
        false,
    )
    .await
    .unwrap();
    assert_eq!(purged.deleted, 2);
    let purged = dlq::purge(&pool, &Selection::All, true).await.unwrap();
    assert_eq!(purged.deleted, 2, "the two replayed ones");
    let left = dlq::list(
        &pool,
        &Filter {
            include_replayed: true,
            ..Filter::default()
        },
    )
    .await
    .unwrap();
    assert!(
        left.dead_letters
            .iter()
            .all(|d| d.replayed_at.is_none() && d.code != "not_json"),
        "{left:?}"
    );
    system.teardown().await;
}
