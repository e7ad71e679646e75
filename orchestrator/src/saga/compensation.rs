//! Compensating transitions: undo what was done, in reverse order, then
//! either search again or fail. A compensation that cannot be completed
//! parks the saga in `needs_attention` for a human.

use chrono::{DateTime, Utc};

use autobook_contracts::Step;
use autobook_contracts::events::{OrderFailed, OrderFailureReason};
use autobook_contracts::notification::FailureReason;

use super::decide::{Decision, Effect};
use super::forward;
use super::policy::Policy;
use super::state::{AfterRelease, Hold, OrderRef, Phase, Saga};
use super::{cancellation, commitments, finish, lost_hold, steps, watching};

/// The order was not created. Expired or repriced offers lead back to
/// search (releasing the hold first, since the new offer has a new price);
/// a permanent refusal releases the hold and fails. (An order whose outcome
/// is unknown arrives as `step.outcome_unknown`; see `recovery`.) A hold
/// Stripe reported lost is not released again.
pub fn order_failed(saga: &Saga, hold: &Hold, event: &OrderFailed, policy: &Policy) -> Decision {
    if saga.has_lost(hold) {
        return lost_hold::order_failed(saga, event, policy);
    }
    if saga.cancel_requested {
        return cancellation::release(saga, hold.clone());
    }
    match event.reason {
        OrderFailureReason::OfferExpired | OrderFailureReason::PriceChanged => {
            commitments::release_for_new_search(saga, hold.clone(), policy)
        }
        OrderFailureReason::Permanent => {
            forward::release(saga, hold.clone(), FailureReason::OrderRejected)
        }
    }
}

/// Capture failed after the order exists: cancel the order, then release
/// the hold (unless Stripe reported it lost, which is why the capture failed).
pub fn capture_failed(saga: &Saga, hold: &Hold, order: &OrderRef) -> Decision {
    let reason = if saga.has_lost(hold) {
        FailureReason::HoldLapsing
    } else {
        FailureReason::CaptureFailed
    };
    cancel_order(saga, hold.clone(), order.clone(), reason)
}

/// An order exists that must not be paid for: cancel it; the hold is
/// dealt with next, then the saga fails with `reason`.
pub fn cancel_order(saga: &Saga, hold: Hold, order: OrderRef, reason: FailureReason) -> Decision {
    let key = steps::key(saga, Step::Cancel);
    let command = steps::cancel(key.clone(), &order);
    let phase = Phase::CancellingOrder {
        key,
        hold,
        order,
        reason,
    };
    Decision::new(saga, phase, vec![Effect::Send(command.into())])
}

/// The order is cancelled: release the hold next (a hold Stripe reported
/// lost is gone already).
pub fn order_cancelled(
    saga: &Saga,
    hold: &Hold,
    reason: &FailureReason,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    if saga.has_lost(hold) {
        return lost_hold::order_cancelled(saga, reason, now, policy);
    }
    if saga.cancel_requested {
        return cancellation::release(saga, hold.clone());
    }
    forward::release(saga, hold.clone(), reason.clone())
}

/// The hold is released: search again in a new epoch, fail, or (the
/// traveller cancelled) stop.
pub fn hold_released(saga: &Saga, then: &AfterRelease) -> Decision {
    if saga.cancel_requested {
        return cancellation::stop(saga);
    }
    match then {
        AfterRelease::Research => watching::search_again(&Saga {
            reprices: saga.reprices + 1,
            ..saga.clone()
        }),
        AfterRelease::Fail { reason } => finish::fail(saga, reason.clone()),
        AfterRelease::Cancelled => cancellation::stop(saga),
    }
}

/// Automation gives up: park the saga for an operator. `resume` is the
/// phase `ops saga retry` goes back to.
pub fn stuck(saga: &Saga, problem: String, resume: &Phase) -> Decision {
    let (hold, order) = holdings(resume);
    Decision::new(
        saga,
        Phase::Stuck {
            problem,
            hold,
            order,
            resume: Some(Box::new(resume.clone())),
        },
        Vec::new(),
    )
}

/// What a phase holds at the providers: the hold and the order, if any.
pub fn holdings(phase: &Phase) -> (Option<Hold>, Option<OrderRef>) {
    match phase {
        Phase::Ordering { hold, .. } | Phase::ReleasingHold { hold, .. } => {
            (Some(hold.clone()), None)
        }
        Phase::Capturing { hold, order, .. } | Phase::CancellingOrder { hold, order, .. } => {
            (Some(hold.clone()), Some(order.clone()))
        }
        Phase::OutcomeUnknown { waiting, .. } | Phase::Paused { waiting, .. } => holdings(waiting),
        Phase::Stuck { hold, order, .. } => (hold.clone(), order.clone()),
        Phase::CancellingBooking { booking, .. } | Phase::Refunding { booking, .. } => {
            (None, Some(booking.order.clone()))
        }
        Phase::Searching { .. }
        | Phase::Watching { .. }
        | Phase::Cancelled { .. }
        | Phase::Authorizing { .. }
        | Phase::Notifying { .. }
        | Phase::Booked { .. }
        | Phase::Failed { .. }
        | Phase::Aborted { .. } => (None, None),
    }
}
