//! Compensating transitions: undo what was done, in reverse order, then
//! either search again or fail. A compensation that cannot be completed
//! parks the saga in `needs_attention` for a human.

use autobook_contracts::Step;
use autobook_contracts::events::{OrderFailed, OrderFailureReason, SagaTimer};
use autobook_contracts::notification::FailureReason;

use super::decide::{Decision, Effect};
use super::forward;
use super::policy::Policy;
use super::state::{AfterRelease, Hold, OrderRef, Phase, Saga};
use super::{finish, steps};

/// The order was not created. Expired or repriced offers lead back to
/// search (releasing the hold first, since the new offer has a new price);
/// a permanent refusal releases the hold and fails; an unknown outcome is
/// re-checked later, never guessed.
pub fn order_failed(saga: &Saga, hold: &Hold, event: &OrderFailed, policy: &Policy) -> Decision {
    match event.reason {
        OrderFailureReason::OfferExpired | OrderFailureReason::PriceChanged
            if saga.epoch < policy.max_searches =>
        {
            let key = steps::key(saga, Step::Void);
            let command = steps::void(key.clone(), hold);
            let phase = Phase::ReleasingHold {
                key,
                hold: hold.clone(),
                then: AfterRelease::Research,
            };
            Decision::new(saga, phase, vec![Effect::Send(command.into())])
        }
        OrderFailureReason::OfferExpired | OrderFailureReason::PriceChanged => forward::release(
            saga,
            hold.clone(),
            FailureReason::OffersKeptChanging {
                searches: saga.epoch,
            },
        ),
        OrderFailureReason::Permanent => {
            forward::release(saga, hold.clone(), FailureReason::OrderRejected)
        }
        OrderFailureReason::Unknown if saga.order_rechecks < policy.max_order_rechecks => {
            let next = Saga {
                order_rechecks: saga.order_rechecks + 1,
                ..saga.clone()
            };
            let timer = SagaTimer::RecheckOrder {
                idempotency_key: event.idempotency_key.clone(),
            };
            Decision {
                saga: next,
                effects: vec![Effect::Schedule {
                    timer,
                    after: policy.order_recheck_delay,
                }],
            }
        }
        OrderFailureReason::Unknown => stuck(
            saga,
            format!(
                "order outcome still unknown after {} re-checks",
                saga.order_rechecks
            ),
            Some(hold.clone()),
            None,
        ),
    }
}

/// Capture failed after the order exists: cancel the order, then release the hold.
pub fn capture_failed(saga: &Saga, hold: &Hold, order: &OrderRef) -> Decision {
    let key = steps::key(saga, Step::Cancel);
    let command = steps::cancel(key.clone(), order);
    let phase = Phase::CancellingOrder {
        key,
        hold: hold.clone(),
        order: order.clone(),
        reason: FailureReason::CaptureFailed,
    };
    Decision::new(saga, phase, vec![Effect::Send(command.into())])
}

/// The order is cancelled: release the hold next.
pub fn order_cancelled(saga: &Saga, hold: &Hold, reason: &FailureReason) -> Decision {
    forward::release(saga, hold.clone(), reason.clone())
}

/// The hold is released: search again in a new epoch, or fail.
pub fn hold_released(saga: &Saga, then: &AfterRelease) -> Decision {
    match then {
        AfterRelease::Research => {
            let next = Saga {
                epoch: saga.epoch + 1,
                order_rechecks: 0,
                ..saga.clone()
            };
            let key = steps::key(&next, Step::Search);
            let command = steps::search(&next.trip, key.clone());
            Decision::new(
                &next,
                Phase::Searching { key },
                vec![Effect::Send(command.into())],
            )
        }
        AfterRelease::Fail { reason } => finish::fail(saga, reason.clone()),
    }
}

/// A compensation failed for good: park the saga for a human.
pub fn stuck(
    saga: &Saga,
    problem: String,
    hold: Option<Hold>,
    order: Option<OrderRef>,
) -> Decision {
    Decision::new(
        saga,
        Phase::NeedsAttention {
            problem,
            hold,
            order,
        },
        Vec::new(),
    )
}
