//! The pure decision function: `(saga, message, now) -> (saga', effects)`.
//!
//! No I/O happens here. The executor persists the new saga, the audit row
//! and the effects (outbox rows, timers) in one transaction. Every pair of
//! phase and message is one arm of a single `match`; anything else is an
//! [`DecideError::IllegalTransition`] and changes nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use autobook_contracts::events::{SagaTimer, TimerFired};
use autobook_contracts::trip::{TripRequest, TripValidationError};
use autobook_contracts::{IdempotencyKey, Message, MessageKind, MessageType, Step};

use super::policy::Policy;
use super::state::{Outcome, Phase, Saga};
use super::{
    cancellation, commitments, compensation, deadlines, finish, forward, lost_hold, pausing,
    recovery, steps, watching,
};

/// Something the executor must do after committing the new state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Publish this message (through the outbox), caused by the handled one.
    Send(Message),
    /// Deliver `TimerFired { timer }` to this saga after the delay.
    Schedule { timer: SagaTimer, after: Duration },
}

/// The outcome of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub saga: Saga,
    pub effects: Vec<Effect>,
}

impl Decision {
    pub(super) fn new(saga: &Saga, phase: Phase, effects: Vec<Effect>) -> Self {
        Decision {
            saga: Saga {
                phase,
                ..saga.clone()
            },
            effects,
        }
    }
}

/// Why a message cannot be applied. The saga is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error("{message_type} is not expected while the saga is {status}")]
    IllegalTransition {
        status: &'static str,
        message_type: MessageType,
    },
    /// The key the reply carries is not repeated: it is the sender's.
    #[error("the reply's idempotency_key does not match the pending step {expected:?}")]
    StaleReply {
        expected: Option<IdempotencyKey>,
        got: IdempotencyKey,
    },
    #[error("a saga with this id already exists")]
    AlreadyStarted,
    /// A timer for a step the saga has already moved past: harmless.
    #[error("timer for {key} is no longer due: the saga is {status}")]
    StaleTimer {
        key: IdempotencyKey,
        status: &'static str,
    },
    #[error("the stuck saga has no step to go back to")]
    NothingToRetry,
    /// A cancel for a saga that has already ended or is already unwinding:
    /// harmless.
    #[error("nothing to cancel: the saga is {status}")]
    NothingToCancel { status: &'static str },
    /// A resume for a saga that is not paused (resumed already): harmless.
    #[error("nothing to resume: the saga is {status}")]
    NotPaused { status: &'static str },
    /// A payment intent update that asks nothing of the saga (another
    /// status, an intent it does not count on, a loss it knows): harmless.
    /// What the update says is not repeated: it is the sender's.
    #[error("a payment intent update asks nothing of the saga while it is {status}")]
    IntentUpdateIgnored {
        payment_intent_id: String,
        intent_status: String,
        status: &'static str,
    },
}

impl DecideError {
    /// A stable code for dead-letter headers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            DecideError::IllegalTransition { .. } => "illegal_transition",
            DecideError::StaleReply { .. } => "stale_reply",
            DecideError::AlreadyStarted => "saga_already_exists",
            DecideError::StaleTimer { .. } => "stale_timer",
            DecideError::NothingToRetry => "nothing_to_retry",
            DecideError::NothingToCancel { .. } => "nothing_to_cancel",
            DecideError::NotPaused { .. } => "not_paused",
            DecideError::IntentUpdateIgnored { .. } => "intent_update_ignored",
        }
    }

    /// Expected and harmless: acknowledged without change, never a dead
    /// letter (a timer for a step already left, a second cancel, a resume
    /// that lost a race with another, a payment intent update that asks
    /// nothing).
    pub fn is_harmless(&self) -> bool {
        matches!(
            self,
            DecideError::StaleTimer { .. }
                | DecideError::NothingToCancel { .. }
                | DecideError::NotPaused { .. }
                | DecideError::IntentUpdateIgnored { .. }
        )
    }
}

/// What the flags say about a trip as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Auto-booking may proceed.
    Open,
    /// The flags deny it (the reason's code): the saga starts paused.
    Paused { reason: String },
}

/// Starts a saga for a new trip request: validate, fix the deadline, then
/// search (or pause before searching when the flags deny).
pub fn start(
    saga_id: Uuid,
    trip: TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
    admission: &Admission,
) -> Result<Decision, TripValidationError> {
    trip.validate(now)?;
    let key = IdempotencyKey::derive(saga_id, Step::Search, 1);
    let margin = chrono::Duration::from_std(policy.deadline_margin).unwrap_or_default();
    let longest_watch = policy
        .watch
        .as_ref()
        .and_then(|watch| watch.max_watch)
        .and_then(|max| chrono::Duration::from_std(max).ok())
        .map(|max| now + max);
    let deadline = trip
        .booking_deadline(margin)
        .map(|deadline| deadline.at())
        .map(|at| longest_watch.map_or(at, |longest| at.min(longest)));
    let saga = Saga {
        id: saga_id,
        trip,
        epoch: 1,
        rechecks: 0,
        compensation_attempts: 0,
        step_resends: 0,
        reprices: 0,
        deadline,
        cheapest_seen: None,
        identity_documents_needed: false,
        cancel_requested: false,
        lost_hold: None,
        phase: Phase::Searching { key: key.clone() },
    };
    if let Admission::Paused { reason } = admission {
        return Ok(pausing::pause(&saga, &saga.phase, reason, now));
    }
    let command = steps::search(&saga.trip, key);
    Ok(Decision {
        saga,
        effects: vec![Effect::Send(command.into())],
    })
}

/// Applies one message to a saga. A saga that comes to rest on a hold
/// Stripe reported lost acts on it at once (see [`lost_hold`]).
pub fn decide(
    saga: &Saga,
    message: &Message,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, DecideError> {
    apply(saga, message, now, policy).map(|decision| lost_hold::act_on_loss(decision, now, policy))
}

fn apply(
    saga: &Saga,
    message: &Message,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, DecideError> {
    let illegal = || DecideError::IllegalTransition {
        status: saga.phase.status(),
        message_type: message.message_type(),
    };
    if matches!(message, Message::TripRequested(_)) {
        return Err(DecideError::AlreadyStarted);
    }
    if let Phase::Stuck {
        problem, resume, ..
    } = &saga.phase
    {
        return match (message, resume) {
            (Message::RetryRequested(_), Some(resume)) => {
                Ok(recovery::operator_retry(saga, resume))
            }
            (Message::RetryRequested(_), None) => Err(DecideError::NothingToRetry),
            (Message::AbortRequested(a), _) => Ok(recovery::operator_abort(saga, problem, a)),
            (Message::TripCancelRequested(_), _) => cancellation::requested(saga),
            (Message::PaymentIntentUpdated(e), _) => lost_hold::reported(saga, e),
            (Message::ResumeRequested(_), _) => Err(DecideError::NotPaused {
                status: saga.phase.status(),
            }),
            (Message::TimerFired(TimerFired { timer }), _) => Err(DecideError::StaleTimer {
                key: timer.idempotency_key().clone(),
                status: saga.phase.status(),
            }),
            _ => Err(illegal()),
        };
    }
    if let Message::TripCancelRequested(_) = message {
        return cancellation::requested(saga);
    }
    if let Message::PaymentIntentUpdated(e) = message {
        return lost_hold::reported(saga, e);
    }
    if let Message::ResumeRequested(_) = message {
        return match &saga.phase {
            Phase::Paused { waiting, .. } => Ok(pausing::resume(saga, waiting, now, policy)),
            phase => Err(DecideError::NotPaused {
                status: phase.status(),
            }),
        };
    }
    if let Message::TimerFired(TimerFired { timer }) = message
        && timer.watches_commitment()
    {
        let stale = || DecideError::StaleTimer {
            key: timer.idempotency_key().clone(),
            status: saga.phase.status(),
        };
        if saga.phase.is_terminal() || !commitments::is_current(saga, timer) {
            return Err(stale());
        }
        let decided = match timer {
            SagaTimer::HoldExpiring { .. } => commitments::hold_expiring(saga, now),
            _ => commitments::offer_expiring(saga, policy),
        };
        return decided.ok_or_else(stale);
    }
    if let (true, Message::TimerFired(TimerFired { timer })) = (saga.phase.is_terminal(), message) {
        return Err(DecideError::StaleTimer {
            key: timer.idempotency_key().clone(),
            status: saga.phase.status(),
        });
    }
    if saga.phase.is_terminal() {
        return Err(illegal());
    }
    if let Some(got) = reply_key(message)
        && saga.phase.pending_key() != Some(got)
    {
        if matches!(message, Message::TimerFired(_)) {
            return Err(DecideError::StaleTimer {
                key: got.clone(),
                status: saga.phase.status(),
            });
        }
        return Err(DecideError::StaleReply {
            expected: saga.phase.pending_key().cloned(),
            got: got.clone(),
        });
    }
    if let Message::StepOutcomeUnknown(e) = message {
        return match &saga.phase {
            // Nothing was sent while watching: nothing can be unknown.
            Phase::Watching { .. } => Err(illegal()),
            // An earlier delivery of the step it paused before.
            Phase::Paused { waiting, .. } => Ok(recovery::outcome_unknown(
                &Saga {
                    phase: waiting.as_ref().clone(),
                    ..saga.clone()
                },
                e,
                policy,
            )),
            _ => Ok(recovery::outcome_unknown(saga, e, policy)),
        };
    }
    if let Phase::Paused { waiting, .. } = &saga.phase {
        return match message {
            Message::TimerFired(TimerFired {
                timer: SagaTimer::Deadline { .. },
            }) => pausing::deadline(saga, waiting).ok_or_else(|| DecideError::StaleTimer {
                key: saga
                    .phase
                    .pending_key()
                    .cloned()
                    .expect("paused phases wait on a step"),
                status: saga.phase.status(),
            }),
            Message::TimerFired(TimerFired { timer }) => Err(DecideError::StaleTimer {
                key: timer.idempotency_key().clone(),
                status: saga.phase.status(),
            }),
            // Deferred again (a duplicate): stay paused.
            Message::StepDeferred(_) => Ok(Decision::new(saga, saga.phase.clone(), Vec::new())),
            // The step was carried out after all (an earlier delivery): settle it.
            reply => settle_late(saga, waiting, reply, now, policy),
        };
    }
    if let Phase::OutcomeUnknown { waiting, .. } = &saga.phase {
        return match message {
            Message::TimerFired(TimerFired {
                timer: SagaTimer::RecheckStep { .. },
            }) => Ok(recovery::recheck(saga, waiting)),
            Message::TimerFired(_) => Err(DecideError::StaleTimer {
                key: saga
                    .phase
                    .pending_key()
                    .cloned()
                    .expect("waiting phases have keys"),
                status: saga.phase.status(),
            }),
            // A late answer to the waiting step settles it as if it had come in time.
            reply => settle_late(saga, waiting, reply, now, policy),
        };
    }
    step(saga, message, now, policy).map(|mut decision| {
        // Each step has its own budgets of re-checks, compensation attempts
        // and re-sends.
        if decision.saga.phase.pending_key() != saga.phase.pending_key() {
            decision.saga.rechecks = 0;
            decision.saga.compensation_attempts = 0;
            decision.saga.step_resends = 0;
        }
        decision
    })
}

/// A late answer to the step a waiting phase (paused, outcome unknown)
/// stands for settles it as if it had come in time; a refusal names the
/// waiting phase's own status.
fn settle_late(
    saga: &Saga,
    waiting: &Phase,
    reply: &Message,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, DecideError> {
    let in_time = Saga {
        phase: waiting.clone(),
        ..saga.clone()
    };
    decide(&in_time, reply, now, policy).map_err(|error| match error {
        DecideError::IllegalTransition { .. } => DecideError::IllegalTransition {
            status: saga.phase.status(),
            message_type: reply.message_type(),
        },
        other => other,
    })
}

/// The transitions of the saga's steps and compensations.
fn step(
    saga: &Saga,
    message: &Message,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, DecideError> {
    let illegal = || DecideError::IllegalTransition {
        status: saga.phase.status(),
        message_type: message.message_type(),
    };
    match (&saga.phase, message) {
        (
            phase @ (Phase::Searching { .. }
            | Phase::Authorizing { .. }
            | Phase::Ordering { .. }
            | Phase::Capturing { .. }),
            Message::StepDeferred(e),
        ) => Ok(pausing::pause(saga, phase, &e.reason, now)),
        (Phase::Searching { .. }, Message::OffersFound(e)) => {
            Ok(forward::offers_found(saga, e, now, policy))
        }
        (
            Phase::Watching { .. },
            Message::TimerFired(TimerFired {
                timer: SagaTimer::Research { .. },
            }),
        ) => Ok(watching::search_again(saga)),
        (
            Phase::Watching { .. },
            Message::TimerFired(TimerFired {
                timer: SagaTimer::Deadline { .. },
            }),
        ) => Ok(watching::deadline_passed(saga)),
        (Phase::Searching { .. }, Message::SearchFailed(_)) => {
            Ok(finish::fail(saga, forward::search_failed()))
        }
        (Phase::Authorizing { offer, .. }, Message::PaymentAuthorized(e)) => {
            Ok(forward::authorized(saga, offer, e, now, policy))
        }
        (Phase::Authorizing { .. }, Message::PaymentDeclined(_) | Message::PaymentFailed(_))
            if saga.cancel_requested =>
        {
            Ok(cancellation::stop(saga))
        }
        (Phase::Authorizing { .. }, Message::PaymentDeclined(e)) => {
            Ok(finish::fail(saga, forward::declined(e)))
        }
        (Phase::Authorizing { .. }, Message::PaymentFailed(_)) => {
            Ok(finish::fail(saga, forward::payment_failed()))
        }
        (Phase::Ordering { offer, hold, .. }, Message::OrderCreated(e)) => {
            Ok(forward::ordered(saga, offer, hold, e))
        }
        (Phase::Ordering { hold, .. }, Message::OrderFailed(e)) => {
            Ok(compensation::order_failed(saga, hold, e, policy))
        }
        (
            Phase::Capturing {
                offer, hold, order, ..
            },
            Message::PaymentCaptured(e),
        ) => Ok(forward::captured(saga, offer, hold, order, e)),
        (Phase::Capturing { hold, order, .. }, Message::CaptureFailed(_)) => {
            Ok(compensation::capture_failed(saga, hold, order))
        }
        (Phase::ReleasingHold { then, .. }, Message::HoldVoided(_)) => {
            Ok(compensation::hold_released(saga, then))
        }
        (Phase::ReleasingHold { .. }, Message::VoidFailed(e)) if e.permanent => {
            Ok(recovery::compensation_refused(saga, &e.detail))
        }
        (Phase::ReleasingHold { .. }, Message::VoidFailed(e)) => {
            Ok(recovery::compensation_failed(saga, &e.detail, policy))
        }
        (
            Phase::ReleasingHold { .. }
            | Phase::CancellingOrder { .. }
            | Phase::CancellingBooking { .. }
            | Phase::Refunding { .. },
            Message::TimerFired(TimerFired {
                timer: SagaTimer::RetryCompensation { .. },
            }),
        ) => Ok(recovery::retry_compensation(saga)),
        (Phase::CancellingBooking { booking, .. }, Message::OrderCancelled(e)) => {
            Ok(cancellation::booking_cancelled(saga, booking, e))
        }
        (Phase::CancellingBooking { .. }, Message::CancelFailed(e)) => {
            Ok(recovery::compensation_failed(saga, &e.detail, policy))
        }
        (Phase::Refunding { booking, .. }, Message::PaymentRefunded(e)) => {
            Ok(cancellation::refunded(saga, booking, e.amount))
        }
        (Phase::Refunding { .. }, Message::RefundFailed(e)) if e.permanent => {
            Ok(recovery::compensation_refused(saga, &e.detail))
        }
        (Phase::Refunding { .. }, Message::RefundFailed(e)) => {
            Ok(recovery::compensation_failed(saga, &e.detail, policy))
        }
        (Phase::CancellingOrder { hold, reason, .. }, Message::OrderCancelled(_)) => Ok(
            compensation::order_cancelled(saga, hold, reason, now, policy),
        ),
        (Phase::CancellingOrder { .. }, Message::CancelFailed(e)) => {
            Ok(recovery::compensation_failed(saga, &e.detail, policy))
        }
        (
            Phase::Notifying {
                outcome: Outcome::Booked { booking },
                ..
            },
            Message::NotificationSent(_) | Message::NotificationFailed(_),
        ) if saga.cancel_requested => Ok(cancellation::cancel_booking(saga, booking)),
        (Phase::Notifying { outcome, .. }, Message::NotificationSent(_)) => {
            Ok(finish::notified(saga, outcome, true))
        }
        (Phase::Notifying { outcome, .. }, Message::NotificationFailed(_)) => {
            Ok(finish::notified(saga, outcome, false))
        }
        (
            phase,
            Message::TimerFired(TimerFired {
                timer: SagaTimer::StepDeadline { .. },
            }),
        ) if deadlines::in_flight(phase).is_some() => Ok(recovery::step_overdue(saga, policy)),
        (_, Message::TimerFired(TimerFired { timer })) => Err(DecideError::StaleTimer {
            key: timer.idempotency_key().clone(),
            status: saga.phase.status(),
        }),
        _ => Err(illegal()),
    }
}

/// The step key a worker reply (or a timer) refers to. Commands carry a
/// key too, but never reach the orchestrator legally.
fn reply_key(message: &Message) -> Option<&IdempotencyKey> {
    match message.message_type().kind() {
        MessageKind::Event => message.idempotency_key(),
        MessageKind::Command => None,
    }
}
