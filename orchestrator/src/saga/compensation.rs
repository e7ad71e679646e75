//! Compensating transitions: undo what was done, in reverse order, then
//! either search again or fail. The compensations themselves (void,
//! cancel, refund) are built in [`super::steps`], next to the steps they
//! undo; one that cannot be completed parks the saga as `stuck` for a
//! human (see [`super::recovery`]).

use chrono::{DateTime, Utc};

use autobook_contracts::events::{OrderFailed, OrderFailureReason};
use autobook_contracts::notification::FailureReason;

use super::decision::Decision;
use super::policy::Policy;
use super::state::{AfterRelease, Hold, OrderRef, Saga};
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
        return steps::release_hold(saga, hold.clone(), AfterRelease::Cancelled);
    }
    match event.reason {
        OrderFailureReason::OfferExpired | OrderFailureReason::PriceChanged => {
            commitments::release_for_new_search(saga, hold.clone(), policy)
        }
        OrderFailureReason::Permanent => steps::release_hold(
            saga,
            hold.clone(),
            AfterRelease::Fail {
                reason: FailureReason::OrderRejected,
            },
        ),
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
    steps::cancel_order(saga, hold.clone(), order.clone(), reason)
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
        return steps::release_hold(saga, hold.clone(), AfterRelease::Cancelled);
    }
    steps::release_hold(
        saga,
        hold.clone(),
        AfterRelease::Fail {
            reason: reason.clone(),
        },
    )
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
