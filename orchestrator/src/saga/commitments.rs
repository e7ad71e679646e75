//! Deadlines that come from outside: the selected offer's `expires_at` and
//! `payment_required_by`, and the card hold's lapse (seven days after it
//! was placed). Each becomes a durable timer when the commitment starts,
//! keyed by the authorize step of its search round, so a later round's
//! timers never touch an earlier round's offer or hold.
//!
//! - An offer that can no longer be ordered and paid is never ordered: a
//!   saga paused before authorizing or ordering it goes back to search
//!   (releasing the hold first).
//! - A hold still needed close to its lapse is dealt with before it lapses:
//!   a saga paused before ordering releases it; one paused before capturing
//!   cancels the order and releases it; one whose order or capture outcome
//!   is unknown is handed to an operator. A step in flight is left to
//!   answer (its answer captures or releases).

use std::time::Duration;

use chrono::{DateTime, Utc};

use autobook_contracts::events::SagaTimer;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::offer::OfferSummary;
use autobook_contracts::{IdempotencyKey, Step};

use super::decision::{Decision, Effect};
use super::finish::{self, stuck};
use super::policy::Policy;
use super::state::{AfterRelease, Hold, Phase, Saga};
use super::{steps, watching};

/// Whether an order on `offer` can still be placed and paid at `now`, with
/// the policy's margin for authorizing and ordering.
pub fn still_orderable(offer: &OfferSummary, now: DateTime<Utc>, policy: &Policy) -> bool {
    let margin = chrono::Duration::from_std(policy.min_offer_validity).unwrap_or_default();
    offer.order_by() > now + margin
}

/// The timer that fires when `offer` stops being orderable.
pub fn offer_timer(
    key: &IdempotencyKey,
    offer: &OfferSummary,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Effect {
    let margin = chrono::Duration::from_std(policy.min_offer_validity).unwrap_or_default();
    Effect::Schedule {
        timer: SagaTimer::OfferExpiring {
            idempotency_key: key.clone(),
        },
        after: (offer.order_by() - margin - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    }
}

/// The timer that fires a guard interval before a hold placed now lapses.
pub fn hold_timer(key: &IdempotencyKey, policy: &Policy) -> Effect {
    Effect::Schedule {
        timer: SagaTimer::HoldExpiring {
            idempotency_key: key.clone(),
        },
        after: policy.hold_lapse.saturating_sub(policy.hold_lapse_guard),
    }
}

/// Whether a commitment timer belongs to the saga's current search round.
pub fn is_current(saga: &Saga, timer: &SagaTimer) -> bool {
    timer.idempotency_key() == &steps::key(saga, Step::Authorize)
}

/// Search again for another offer (nothing is held), or give up when
/// offers have changed under the saga too often.
pub fn search_again_or_give_up(saga: &Saga, policy: &Policy) -> Decision {
    if saga.reprices + 1 < policy.max_searches {
        let next = Saga {
            reprices: saga.reprices + 1,
            ..saga.clone()
        };
        return watching::search_again(&next);
    }
    finish::fail(
        saga,
        FailureReason::OffersKeptChanging {
            searches: saga.reprices + 1,
        },
    )
}

/// Release the hold, then search again (or give up, as above).
pub fn release_for_new_search(saga: &Saga, hold: Hold, policy: &Policy) -> Decision {
    let then = if saga.reprices + 1 < policy.max_searches {
        AfterRelease::Research
    } else {
        AfterRelease::Fail {
            reason: FailureReason::OffersKeptChanging {
                searches: saga.reprices + 1,
            },
        }
    };
    steps::release_hold(saga, hold, then)
}

/// The selected offer can no longer be ordered, while the saga is paused
/// before `waiting`. None: nothing to do (no offer is waiting to be
/// authorized or ordered).
pub fn offer_expiring(saga: &Saga, waiting: &Phase, policy: &Policy) -> Option<Decision> {
    match waiting {
        Phase::Authorizing { .. } => Some(search_again_or_give_up(saga, policy)),
        Phase::Ordering { hold, .. } => Some(release_for_new_search(saga, hold.clone(), policy)),
        _ => None,
    }
}

/// The hold is about to lapse while the saga is paused before `waiting`:
/// release it, or cancel the order made on it and release it. None: no
/// hold waits.
pub fn hold_expiring_while_paused(saga: &Saga, waiting: &Phase) -> Option<Decision> {
    match waiting {
        Phase::Ordering { hold, .. } => Some(steps::release_hold(
            saga,
            hold.clone(),
            AfterRelease::Fail {
                reason: FailureReason::HoldLapsing,
            },
        )),
        Phase::Capturing { hold, order, .. } => Some(steps::cancel_order(
            saga,
            hold.clone(),
            order.clone(),
            FailureReason::HoldLapsing,
        )),
        _ => None,
    }
}

/// The hold is about to lapse while the outcome of `waiting` (an order or
/// a capture on it) is unknown: an operator must settle it. None: the
/// unknown step holds nothing that lapses.
pub fn hold_expiring_while_unknown(
    saga: &Saga,
    waiting: &Phase,
    detail: &str,
    now: DateTime<Utc>,
) -> Option<Decision> {
    if !matches!(waiting, Phase::Ordering { .. } | Phase::Capturing { .. }) {
        return None;
    }
    let problem = format!(
        "the card hold lapses soon (checked {now}) and the {} outcome is still unknown: {detail}",
        waiting.status()
    );
    Some(stuck(saga, problem, waiting))
}
