//! The pure decision function: `(saga, message, now) -> (saga', effects)`.
//!
//! No I/O happens here. The executor persists the new saga, the audit row
//! and the effects (outbox rows, timers) in one transaction. A message
//! first passes the [`guards`] (a second trip request, a timer no longer
//! due, a reply to another step), then the table below: one `match` over
//! every (phase, message) pair, with no wildcard, so a new phase or
//! message does not compile until it has a decision. A refused pair is a
//! typed [`DecideError`] and changes nothing.
//!
//! ```text
//! phase              message                       next phase                         effects
//! ------------------ ----------------------------- ---------------------------------- ---------------------------
//! any                trip.requested                (refused: already started)
//! any                payment.intent_updated        same, remembering a lost hold      (see lost_hold)
//! searching,watching trip.cancel_requested         notifying (cancelled)              send notice
//! paused             trip.cancel_requested         releasing_hold | cancelling_order  send void | cancel
//!                                                  | notifying (cancelled)            | send notice
//! booked             trip.cancel_requested         cancelling_booking                 send cancel
//! step in flight,    trip.cancel_requested         same, cancel remembered            none
//!   outcome_unknown,
//!   stuck
//! other              trip.cancel_requested         (refused: nothing to cancel)
//! paused             saga.resume_requested         the step it waited on              send its command again
//!                                                  | searching | releasing_hold       (offer gone)
//!                                                  | notifying (failed)               (deadline passed)
//! other              saga.resume_requested         (refused: not paused)
//! stuck              saga.retry_requested          the step it is stuck on            send its command again
//! stuck              saga.abort_requested          aborted                            none
//! searching,         step.deferred                 paused                             deadline timer
//!   authorizing,
//!   ordering,capturing
//! paused             step.deferred                 paused                             none
//! step in flight     step.outcome_unknown          outcome_unknown | stuck            recheck timer
//!                                                  | ended (an email: not sent)       | none
//! paused             step.outcome_unknown          as its step would                  recheck timer
//! outcome_unknown    step.outcome_unknown          outcome_unknown | stuck            recheck timer
//! outcome_unknown    timer recheck_step            the step it waits on               send its command again
//! paused,            a reply of the step it        as if in time (table again)
//!   outcome_unknown    waits on (outcome_unknown:
//!                      also step.deferred)
//! searching          search.offers_found           authorizing                        send authorize, offer timer
//!                                                  | watching | notifying (failed)    | research timer | notice
//! searching          search.failed                 notifying (failed)                 send notice
//! watching           timer research                searching (next round)             send search
//! watching, paused   timer deadline                notifying (failed)                 send notice
//! authorizing        payment.authorized            ordering                           send order, hold timer
//!                                                  | releasing_hold                   | send void
//!                                                  | searching (hold lost)            | send search
//! authorizing        payment.declined|failed       notifying (failed | cancelled)     send notice
//! ordering           order.created                 capturing | cancelling_order       send capture | cancel
//! ordering           order.failed                  releasing_hold | searching         send void | search
//!                                                  | notifying (failed)               | notice
//! capturing          payment.captured              notifying (booked)                 send confirmation
//!                                                  | cancelling_booking               | send cancel
//! capturing          capture.failed                cancelling_order                   send cancel
//! releasing_hold     payment.hold_voided           searching | notifying            send search | notice
//! cancelling_order   order.cancelled               releasing_hold | searching         send void | search
//!                                                  | notifying                        | notice
//! cancelling_booking order.cancelled               refunding | notifying (cancelled) send refund | notice
//! refunding          payment.refunded              notifying (cancelled)              send notice
//! compensating       a failure                     same (retry timer) | stuck         retry timer
//! compensating       timer retry_compensation      same                               send its command again
//! notifying          notification.sent|failed      booked | failed | cancelled        none
//!                                                  | cancelling_booking (cancelled)   | send cancel
//! step in flight     timer step_deadline           same | stuck                       send its command again
//! paused             timer offer_expiring          searching | releasing_hold         send search | void
//!                                                  | notifying (failed)               | notice
//! paused             timer hold_expiring           releasing_hold | cancelling_order  send void | cancel
//! outcome_unknown    timer hold_expiring           stuck (order or capture unknown)   none
//! any other pair     (refused: illegal transition, or a stale timer)
//! ```
//!
//! "Step in flight" is a phase whose command awaits a worker's reply
//! (searching, authorizing, ordering, capturing, releasing_hold,
//! cancelling_order, cancelling_booking, refunding, notifying);
//! "compensating" is releasing_hold, cancelling_order, cancelling_booking
//! and refunding. A saga that comes to rest on a hold Stripe reported lost
//! acts on it at once ([`lost_hold::act_on_loss`]).

use chrono::{DateTime, Utc};

use autobook_contracts::Message;
use autobook_contracts::events::SagaTimer;

use super::decision::{DecideError, Decision};
use super::patterns::{answer, command, operator, phase, timer};
use super::policy::Policy;
use super::state::{Outcome, Phase, Saga};
use super::{
    cancellation, commitments, compensation, finish, forward, guards, lost_hold, pausing, recovery,
    steps, watching,
};

/// Applies one message to a saga.
pub fn decide(
    saga: &Saga,
    message: &Message,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, DecideError> {
    guards::check(saga, message)?;
    transition(saga, message, now, policy)
        .map(|decision| lost_hold::act_on_loss(decision, now, policy))
}

/// The transition table (see the module's head).
fn transition(
    saga: &Saga,
    message: &Message,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Decision, DecideError> {
    use Message as M;
    use Phase as P;
    let illegal = || illegal(saga, message);
    let stale = |timer: &SagaTimer| stale(saga, timer);
    match (&saga.phase, message) {
        // Anywhere.
        (phase!(any), M::TripRequested(_)) => Err(DecideError::AlreadyStarted),
        (phase!(any), M::PaymentIntentUpdated(e)) => lost_hold::reported(saga, e),
        (phase!(any), command!()) => Err(illegal()),

        // The traveller cancels.
        (P::Searching { .. } | P::Watching { .. }, M::TripCancelRequested(_)) => {
            Ok(cancellation::stop(saga))
        }
        (P::Paused { waiting, .. }, M::TripCancelRequested(_)) => {
            cancellation::paused(saga, waiting)
        }
        (P::Booked { booking, .. }, M::TripCancelRequested(_)) => {
            Ok(steps::cancel_booking(&cancellation::marked(saga), booking))
        }
        (
            P::Authorizing { .. }
            | P::Ordering { .. }
            | P::Capturing { .. }
            | P::ReleasingHold { .. }
            | P::CancellingOrder { .. }
            | P::OutcomeUnknown { .. }
            | P::Stuck { .. }
            | P::Notifying {
                outcome: Outcome::Booked { .. },
                ..
            },
            M::TripCancelRequested(_),
        ) => cancellation::remember(saga),
        (
            P::Notifying { .. }
            | P::CancellingBooking { .. }
            | P::Refunding { .. }
            | P::Failed { .. }
            | P::Cancelled { .. }
            | P::Aborted { .. },
            M::TripCancelRequested(_),
        ) => Err(cancellation::nothing_to_cancel(saga)),

        // Flags: pause before a step, resume it.
        (
            P::Searching { .. } | P::Authorizing { .. } | P::Ordering { .. } | P::Capturing { .. },
            M::StepDeferred(e),
        ) => Ok(fresh_budgets(
            saga,
            pausing::pause(saga, &saga.phase, &e.reason, now),
        )),
        // Deferred again (a duplicate): stay paused.
        (P::Paused { .. }, M::StepDeferred(_)) => {
            Ok(Decision::new(saga, saga.phase.clone(), Vec::new()))
        }
        (P::Paused { waiting, .. }, M::ResumeRequested(_)) => {
            Ok(pausing::resume(saga, waiting, now, policy))
        }
        (phase!(not_paused), M::ResumeRequested(_)) => Err(DecideError::NotPaused {
            status: saga.phase.status(),
        }),
        (P::Paused { waiting, .. }, timer!(fired @ Deadline)) => {
            pausing::deadline(saga, waiting).ok_or_else(|| stale(&fired.timer))
        }
        (P::Paused { waiting, .. }, timer!(fired @ OfferExpiring)) => {
            commitments::offer_expiring(saga, waiting, policy).ok_or_else(|| stale(&fired.timer))
        }
        (P::Paused { waiting, .. }, timer!(fired @ HoldExpiring)) => {
            commitments::hold_expiring_while_paused(saga, waiting)
                .ok_or_else(|| stale(&fired.timer))
        }
        (
            P::Paused { .. },
            timer!(fired @ RecheckStep | RetryCompensation | Research | StepDeadline),
        ) => Err(stale(&fired.timer)),

        // Unknown outcomes: wait, ask again; a late answer settles the step.
        (
            P::Searching { .. }
            | P::Authorizing { .. }
            | P::Ordering { .. }
            | P::Capturing { .. }
            | phase!(compensating)
            | P::Notifying { .. }
            | P::OutcomeUnknown { .. },
            M::StepOutcomeUnknown(e),
        ) => Ok(recovery::outcome_unknown(saga, e, policy)),
        // An earlier delivery of the step it paused before.
        (P::Paused { waiting, .. }, M::StepOutcomeUnknown(e)) => Ok(recovery::outcome_unknown(
            &in_waiting(saga, waiting),
            e,
            policy,
        )),
        (P::OutcomeUnknown { waiting, .. }, timer!(RecheckStep)) => {
            Ok(recovery::recheck(saga, waiting))
        }
        (P::OutcomeUnknown { waiting, detail }, timer!(fired @ HoldExpiring)) => {
            commitments::hold_expiring_while_unknown(saga, waiting, detail, now)
                .ok_or_else(|| stale(&fired.timer))
        }
        (
            P::OutcomeUnknown { .. },
            timer!(fired @ RetryCompensation | Research | Deadline | OfferExpiring | StepDeadline),
        ) => Err(stale(&fired.timer)),
        // A late answer to the waiting step settles it as if it had come in time.
        (P::Paused { waiting, .. } | P::OutcomeUnknown { waiting, .. }, answer!(any))
        | (P::OutcomeUnknown { waiting, .. }, M::StepDeferred(_)) => {
            settle_late(saga, waiting, message, now, policy)
        }

        // Searching, watching.
        (P::Searching { .. }, M::OffersFound(e)) => Ok(fresh_budgets(
            saga,
            forward::offers_found(saga, e, now, policy),
        )),
        (P::Searching { .. }, M::SearchFailed(_)) => Ok(fresh_budgets(
            saga,
            finish::fail(saga, forward::search_failed()),
        )),
        (P::Watching { .. }, timer!(Research)) => {
            Ok(fresh_budgets(saga, watching::search_again(saga)))
        }
        (P::Watching { .. }, timer!(Deadline)) => {
            Ok(fresh_budgets(saga, watching::deadline_passed(saga)))
        }

        // Forward: authorize, order, capture.
        (P::Authorizing { offer, .. }, M::PaymentAuthorized(e)) => Ok(fresh_budgets(
            saga,
            forward::authorized(saga, offer, e, now, policy),
        )),
        (P::Authorizing { .. }, M::PaymentDeclined(_) | M::PaymentFailed(_))
            if saga.cancel_requested =>
        {
            Ok(fresh_budgets(saga, cancellation::stop(saga)))
        }
        (P::Authorizing { .. }, M::PaymentDeclined(e)) => Ok(fresh_budgets(
            saga,
            finish::fail(saga, forward::declined(e)),
        )),
        (P::Authorizing { .. }, M::PaymentFailed(_)) => Ok(fresh_budgets(
            saga,
            finish::fail(saga, forward::payment_failed()),
        )),
        (P::Ordering { offer, hold, .. }, M::OrderCreated(e)) => {
            Ok(fresh_budgets(saga, forward::ordered(saga, offer, hold, e)))
        }
        (P::Ordering { hold, .. }, M::OrderFailed(e)) => Ok(fresh_budgets(
            saga,
            compensation::order_failed(saga, hold, e, policy),
        )),
        (
            P::Capturing {
                offer, hold, order, ..
            },
            M::PaymentCaptured(e),
        ) => Ok(fresh_budgets(
            saga,
            forward::captured(saga, offer, hold, order, e),
        )),
        (P::Capturing { hold, order, .. }, M::CaptureFailed(_)) => Ok(fresh_budgets(
            saga,
            compensation::capture_failed(saga, hold, order),
        )),

        // Compensations: void, cancel, refund; retried when they fail.
        (P::ReleasingHold { then, .. }, M::HoldVoided(_)) => {
            Ok(fresh_budgets(saga, compensation::hold_released(saga, then)))
        }
        (P::ReleasingHold { .. }, M::VoidFailed(e)) if e.permanent => Ok(fresh_budgets(
            saga,
            recovery::compensation_refused(saga, &e.detail),
        )),
        (P::ReleasingHold { .. }, M::VoidFailed(e)) => Ok(fresh_budgets(
            saga,
            recovery::compensation_failed(saga, &e.detail, policy),
        )),
        (P::CancellingOrder { hold, reason, .. }, M::OrderCancelled(_)) => Ok(fresh_budgets(
            saga,
            compensation::order_cancelled(saga, hold, reason, now, policy),
        )),
        (P::CancellingBooking { booking, .. }, M::OrderCancelled(e)) => Ok(fresh_budgets(
            saga,
            cancellation::booking_cancelled(saga, booking, e),
        )),
        (P::CancellingOrder { .. } | P::CancellingBooking { .. }, M::CancelFailed(e)) => Ok(
            fresh_budgets(saga, recovery::compensation_failed(saga, &e.detail, policy)),
        ),
        (P::Refunding { booking, .. }, M::PaymentRefunded(e)) => Ok(fresh_budgets(
            saga,
            cancellation::refunded(saga, booking, e.amount),
        )),
        (P::Refunding { .. }, M::RefundFailed(e)) if e.permanent => Ok(fresh_budgets(
            saga,
            recovery::compensation_refused(saga, &e.detail),
        )),
        (P::Refunding { .. }, M::RefundFailed(e)) => Ok(fresh_budgets(
            saga,
            recovery::compensation_failed(saga, &e.detail, policy),
        )),
        (phase!(compensating), timer!(RetryCompensation)) => {
            Ok(fresh_budgets(saga, recovery::retry_compensation(saga)))
        }

        // Telling the traveller.
        (
            P::Notifying {
                outcome: Outcome::Booked { booking },
                ..
            },
            answer!(notify),
        ) if saga.cancel_requested => Ok(fresh_budgets(saga, steps::cancel_booking(saga, booking))),
        (P::Notifying { outcome, .. }, M::NotificationSent(_)) => {
            Ok(fresh_budgets(saga, finish::notified(saga, outcome, true)))
        }
        (P::Notifying { outcome, .. }, M::NotificationFailed(_)) => {
            Ok(fresh_budgets(saga, finish::notified(saga, outcome, false)))
        }

        // No reply by the step's deadline: send it again.
        (
            P::Searching { .. }
            | P::Authorizing { .. }
            | P::Ordering { .. }
            | P::Capturing { .. }
            | phase!(compensating)
            | P::Notifying { .. },
            timer!(StepDeadline),
        ) => Ok(fresh_budgets(saga, recovery::step_overdue(saga, policy))),

        // An operator's hand on a stuck saga.
        (
            P::Stuck {
                resume: Some(resume),
                ..
            },
            M::RetryRequested(_),
        ) => Ok(recovery::operator_retry(saga, resume)),
        (P::Stuck { resume: None, .. }, M::RetryRequested(_)) => Err(DecideError::NothingToRetry),
        (P::Stuck { problem, .. }, M::AbortRequested(a)) => {
            Ok(recovery::operator_abort(saga, problem, a))
        }

        // Timers that do not fit the phase are stale (those of a saga that
        // automation is done with are refused by the guards already).
        (
            P::Searching { .. }
            | P::Authorizing { .. }
            | P::Ordering { .. }
            | P::Capturing { .. }
            | P::Notifying { .. },
            timer!(fired @ RecheckStep | RetryCompensation | Research | Deadline | HoldExpiring | OfferExpiring),
        )
        | (
            phase!(compensating),
            timer!(fired @ RecheckStep | Research | Deadline | HoldExpiring | OfferExpiring),
        )
        | (
            P::Watching { .. },
            timer!(fired @ RecheckStep | RetryCompensation | HoldExpiring | OfferExpiring | StepDeadline),
        )
        | (P::Stuck { .. } | phase!(finished), timer!(fired @ any)) => Err(stale(&fired.timer)),

        // Everything else is refused as an illegal transition.
        (phase!(not_stuck), operator!())
        | (P::Watching { .. } | P::Stuck { .. } | phase!(finished), answer!(any))
        | (
            P::Watching { .. }
            | phase!(compensating)
            | P::Notifying { .. }
            | P::Stuck { .. }
            | phase!(finished),
            M::StepDeferred(_),
        )
        | (P::Watching { .. } | P::Stuck { .. } | phase!(finished), M::StepOutcomeUnknown(_))
        | (P::Searching { .. }, answer!(not search))
        | (P::Authorizing { .. }, answer!(not authorize))
        | (P::Ordering { .. }, answer!(not order))
        | (P::Capturing { .. }, answer!(not capture))
        | (P::ReleasingHold { .. }, answer!(not void))
        | (P::CancellingOrder { .. } | P::CancellingBooking { .. }, answer!(not cancel))
        | (P::Refunding { .. }, answer!(not refund))
        | (P::Notifying { .. }, answer!(not notify)) => Err(illegal()),
    }
}

/// Each step has its own budgets of re-checks, compensation attempts and
/// re-sends: a decision that moves the saga to another step starts them
/// afresh.
fn fresh_budgets(saga: &Saga, mut decision: Decision) -> Decision {
    if decision.saga.phase.pending_key() != saga.phase.pending_key() {
        decision.saga.rechecks = 0;
        decision.saga.compensation_attempts = 0;
        decision.saga.step_resends = 0;
    }
    decision
}

/// The saga as it was before it began waiting on `waiting`'s step.
fn in_waiting(saga: &Saga, waiting: &Phase) -> Saga {
    Saga {
        phase: waiting.clone(),
        ..saga.clone()
    }
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
    decide(&in_waiting(saga, waiting), reply, now, policy).map_err(|error| match error {
        DecideError::IllegalTransition { .. } => illegal(saga, reply),
        other => other,
    })
}

fn illegal(saga: &Saga, message: &Message) -> DecideError {
    DecideError::IllegalTransition {
        status: saga.phase.status(),
        message_type: message.message_type(),
    }
}

fn stale(saga: &Saga, timer: &SagaTimer) -> DecideError {
    DecideError::StaleTimer {
        key: timer.idempotency_key().clone(),
        status: saga.phase.status(),
    }
}
