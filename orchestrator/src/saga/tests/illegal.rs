//! Every (phase, message) pair, checked against the transition table at
//! the head of `saga/decide.rs`: a pair outside it is refused with a typed
//! error and leaves the saga unchanged; replies to another step are
//! refused as stale (by the guards), and timers that do not fit the phase
//! are stale timers.

use autobook_contracts::{IdempotencyKey, Message, MessageType, Step};

use super::fixtures::*;
use crate::saga::state::{Phase, Saga};
use crate::saga::{DecideError, Policy, decide};

/// Which timer a `saga.timer_fired` carries.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Timer {
    Recheck,
    Retry,
}

/// A sample phase, the message types it accepts, the timers it acts on,
/// and the refusals that are not `IllegalTransition`.
struct Row {
    saga: Saga,
    legal: Vec<MessageType>,
    timers: Vec<Timer>,
    refused: Vec<(MessageType, DecideError)>,
}

fn row(saga: Saga, legal: &[MessageType], timers: &[Timer]) -> Row {
    Row {
        saga,
        legal: legal.to_vec(),
        timers: timers.to_vec(),
        refused: Vec::new(),
    }
}

fn stuck_on_order() -> Saga {
    let mut saga = ordering();
    saga.rechecks = Policy::default().max_rechecks;
    let stuck = apply(&saga, unknown(key(Step::Order, 1), Step::Order)).saga;
    assert_eq!(status(&stuck), "stuck");
    stuck
}

/// A stuck saga as stored before sagas remembered where to resume.
fn stuck_without_resume() -> Saga {
    let mut saga = ordering();
    saga.phase = Phase::Stuck {
        problem: "legacy".into(),
        hold: None,
        order: None,
        resume: None,
    };
    saga
}

/// The legal message types for each sample phase.
fn table() -> Vec<Row> {
    use MessageType as T;
    let unknown_order = apply(&ordering(), unknown(key(Step::Order, 1), Step::Order)).saga;
    let unknown_void = apply(&releasing_hold(), unknown(key(Step::Void, 1), Step::Void)).saga;
    let aborted = apply(&stuck_on_order(), abort_request()).saga;
    let mut no_resume = row(
        stuck_without_resume(),
        &[T::AbortRequested, T::TripCancelRequested],
        &[],
    );
    no_resume
        .refused
        .push((T::RetryRequested, DecideError::NothingToRetry));
    let rows = vec![
        row(
            searching(),
            &[
                T::OffersFound,
                T::SearchFailed,
                T::StepOutcomeUnknown,
                T::StepDeferred,
                T::TripCancelRequested,
            ],
            &[],
        ),
        row(watching(), &[T::TripCancelRequested], &[]),
        row(
            deferred(&authorizing()),
            &[
                // A late answer of the step it paused before settles it.
                T::PaymentAuthorized,
                T::PaymentDeclined,
                T::PaymentFailed,
                T::StepOutcomeUnknown,
                T::StepDeferred,
                T::ResumeRequested,
                T::TripCancelRequested,
                // Stripe reports the intent being authorized canceled.
                T::PaymentIntentUpdated,
            ],
            &[],
        ),
        row(
            authorizing(),
            &[
                T::PaymentAuthorized,
                T::PaymentDeclined,
                T::PaymentFailed,
                T::StepOutcomeUnknown,
                T::StepDeferred,
                T::TripCancelRequested,
                T::PaymentIntentUpdated,
            ],
            &[],
        ),
        row(
            ordering(),
            &[
                T::OrderCreated,
                T::OrderFailed,
                T::StepOutcomeUnknown,
                T::StepDeferred,
                T::TripCancelRequested,
                T::PaymentIntentUpdated,
            ],
            &[],
        ),
        row(
            capturing(),
            &[
                T::PaymentCaptured,
                T::CaptureFailed,
                T::StepOutcomeUnknown,
                T::StepDeferred,
                T::TripCancelRequested,
                T::PaymentIntentUpdated,
            ],
            &[],
        ),
        row(
            releasing_hold(),
            &[
                T::HoldVoided,
                T::VoidFailed,
                T::StepOutcomeUnknown,
                T::TripCancelRequested,
            ],
            &[Timer::Retry],
        ),
        row(
            cancelling_order(),
            &[
                T::OrderCancelled,
                T::CancelFailed,
                T::StepOutcomeUnknown,
                T::TripCancelRequested,
                T::PaymentIntentUpdated,
            ],
            &[Timer::Retry],
        ),
        row(
            cancelling_booking(),
            &[T::OrderCancelled, T::CancelFailed, T::StepOutcomeUnknown],
            &[Timer::Retry],
        ),
        row(
            refunding(),
            &[T::PaymentRefunded, T::RefundFailed, T::StepOutcomeUnknown],
            &[Timer::Retry],
        ),
        row(
            notifying_booked(),
            &[
                T::NotificationSent,
                T::NotificationFailed,
                T::StepOutcomeUnknown,
                T::TripCancelRequested,
            ],
            &[],
        ),
        row(
            notifying_failed(),
            &[
                T::NotificationSent,
                T::NotificationFailed,
                T::StepOutcomeUnknown,
            ],
            &[],
        ),
        row(
            notifying_cancelled(),
            &[
                T::NotificationSent,
                T::NotificationFailed,
                T::StepOutcomeUnknown,
            ],
            &[],
        ),
        row(
            unknown_order,
            &[
                T::OrderCreated,
                T::OrderFailed,
                T::StepOutcomeUnknown,
                T::StepDeferred,
                T::TripCancelRequested,
                T::PaymentIntentUpdated,
            ],
            &[Timer::Recheck],
        ),
        row(
            unknown_void,
            &[
                T::HoldVoided,
                T::VoidFailed,
                T::StepOutcomeUnknown,
                T::TripCancelRequested,
            ],
            &[Timer::Recheck],
        ),
        row(
            stuck_on_order(),
            &[
                T::RetryRequested,
                T::AbortRequested,
                T::TripCancelRequested,
                T::PaymentIntentUpdated,
            ],
            &[],
        ),
        no_resume,
        row(booked(), &[T::TripCancelRequested], &[]),
        row(failed(), &[], &[]),
        row(cancelled(), &[], &[]),
        row(aborted, &[], &[]),
    ];
    rows.into_iter().map(with_harmless_refusals).collect()
}

/// A cancel where nothing is left to cancel, a resume of a saga that is
/// not paused, and a report of a canceled payment intent the saga does not
/// count on, are refused as harmless (acknowledged, not dead-lettered).
fn with_harmless_refusals(mut row: Row) -> Row {
    use MessageType as T;
    let status = status(&row.saga);
    if !row.legal.contains(&T::TripCancelRequested) {
        row.refused.push((
            T::TripCancelRequested,
            DecideError::NothingToCancel { status },
        ));
    }
    if !row.legal.contains(&T::ResumeRequested) {
        row.refused
            .push((T::ResumeRequested, DecideError::NotPaused { status }));
    }
    if !row.legal.contains(&T::PaymentIntentUpdated) {
        row.refused.push((
            T::PaymentIntentUpdated,
            DecideError::IntentUpdateIgnored {
                payment_intent_id: "pi_1".into(),
                intent_status: "canceled".into(),
                status,
            },
        ));
    }
    row
}

fn timer(kind: Timer, key: IdempotencyKey) -> Message {
    match kind {
        Timer::Recheck => recheck_timer(key).into(),
        Timer::Retry => retry_timer(key).into(),
    }
}

#[test]
fn only_the_transition_table_is_accepted() {
    for Row {
        saga,
        legal,
        timers,
        refused,
    } in table()
    {
        let waits = saga.phase.pending_key().cloned();
        let pending = waits.clone().unwrap_or_else(|| key(Step::Notify, 1));
        for message_type in MessageType::ALL {
            if *message_type == MessageType::TimerFired {
                continue;
            }
            let message = sample(*message_type, &pending);
            let result = decide(&saga, &message, now(), &policy());
            if legal.contains(message_type) {
                assert!(
                    result.is_ok(),
                    "{message_type} refused while {}: {result:?}",
                    status(&saga)
                );
            } else if *message_type == MessageType::TripRequested {
                assert_eq!(result, Err(DecideError::AlreadyStarted));
            } else if let Some((_, error)) = refused.iter().find(|(t, _)| t == message_type) {
                assert_eq!(result.as_ref(), Err(error), "{message_type}");
            } else if matches!(saga.phase, Phase::OutcomeUnknown { .. }) {
                // The status it names is checked in
                // `recovery::bugs::an_illegal_message_while_outcome_unknown_names_that_status`.
                assert!(
                    matches!(result, Err(DecideError::IllegalTransition { message_type: t, .. }) if t == *message_type),
                    "{message_type} accepted while {}: {result:?}",
                    status(&saga)
                );
            } else {
                assert_eq!(
                    result,
                    Err(DecideError::IllegalTransition {
                        status: status(&saga),
                        message_type: *message_type
                    }),
                    "{message_type} accepted while {}",
                    status(&saga)
                );
            }
        }
        for kind in [Timer::Recheck, Timer::Retry] {
            let result = decide(&saga, &timer(kind, pending.clone()), now(), &policy());
            if timers.contains(&kind) {
                assert!(
                    result.is_ok(),
                    "{kind:?} timer refused while {}: {result:?}",
                    status(&saga)
                );
            } else if waits.is_some() || matches!(saga.phase, Phase::Stuck { .. }) {
                assert_eq!(
                    result,
                    Err(DecideError::StaleTimer {
                        key: pending.clone(),
                        status: status(&saga)
                    }),
                    "{kind:?} timer while {}",
                    status(&saga)
                );
            } else {
                // Finished sagas: see `recovery::bugs::a_timer_after_the_saga_finished_is_stale`.
                assert!(
                    result.is_err(),
                    "{kind:?} timer accepted while {}",
                    status(&saga)
                );
            }
        }
    }
}

#[test]
fn every_status_is_in_the_table() {
    let mut seen: Vec<&str> = table().iter().map(|r| status(&r.saga)).collect();
    seen.sort_unstable();
    seen.dedup();
    let mut all = Phase::STATUSES.to_vec();
    all.sort_unstable();
    assert_eq!(seen, all);
}

#[test]
fn a_reply_to_another_step_is_stale() {
    let saga = ordering();
    let old: IdempotencyKey = key(Step::Authorize, 1);
    let result = decide(
        &saga,
        &sample(MessageType::OrderCreated, &old),
        now(),
        &policy(),
    );
    assert_eq!(
        result,
        Err(DecideError::StaleReply {
            expected: Some(key(Step::Order, 1)),
            got: old
        })
    );
    let other_epoch = key(Step::Order, 2);
    assert!(matches!(
        decide(
            &saga,
            &sample(MessageType::OrderFailed, &other_epoch),
            now(),
            &policy()
        ),
        Err(DecideError::StaleReply { .. })
    ));
}

#[test]
fn errors_have_stable_codes() {
    assert_eq!(DecideError::AlreadyStarted.code(), "saga_already_exists");
    assert_eq!(
        DecideError::StaleReply {
            expected: None,
            got: key(Step::Order, 1)
        }
        .code(),
        "stale_reply"
    );
    assert_eq!(
        DecideError::IllegalTransition {
            status: "booked",
            message_type: MessageType::OffersFound
        }
        .code(),
        "illegal_transition"
    );
    assert_eq!(
        DecideError::StaleTimer {
            key: key(Step::Order, 1),
            status: "capturing"
        }
        .code(),
        "stale_timer"
    );
    assert_eq!(DecideError::NothingToRetry.code(), "nothing_to_retry");
    assert_eq!(
        DecideError::IntentUpdateIgnored {
            payment_intent_id: "pi_1".into(),
            intent_status: "succeeded".into(),
            status: "capturing"
        }
        .code(),
        "intent_update_ignored"
    );
}
