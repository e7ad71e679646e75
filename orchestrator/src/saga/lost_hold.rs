//! A hold lost outside the system: Stripe reports (a verified webhook,
//! `payment.intent_updated`) that a payment intent the saga counts on is
//! `canceled`: the hold lapsed, or someone cancelled it in the dashboard.
//! Money can no longer be taken on it, and there is nothing to release.
//!
//! | where the saga is                                  | what the report does                                  |
//! |----------------------------------------------------|-------------------------------------------------------|
//! | paused before ordering on that hold                | give the hold up (no void) and search again, or fail (hold lapsing) past the deadline |
//! | paused before capturing it, or its capture unknown | cancel the order (it cannot be paid for), then as above |
//! | a step in flight that uses it (authorizing it, ordering, capturing, cancelling the order; their unknown outcomes), or stuck on one | remember it: the step's answer leads into compensation (an order made is cancelled, no capture is sent again, no void) |
//! | releasing it, another intent, a finished saga      | nothing (harmless, ignored)                           |
//!
//! Any other status (`requires_capture`, `succeeded`, ...) only confirms
//! what the saga's own steps report: ignored.

use chrono::{DateTime, Utc};

use autobook_contracts::events::{OrderFailed, OrderFailureReason, PaymentIntentUpdated};
use autobook_contracts::notification::FailureReason;

use super::decision::{DecideError, Decision, Effect};
use super::policy::Policy;
use super::state::{Hold, OrderRef, Phase, Saga};
use super::{cancellation, commitments, finish, steps};

/// Stripe reported a change to one of the saga's payment intents.
pub fn reported(saga: &Saga, event: &PaymentIntentUpdated) -> Result<Decision, DecideError> {
    let id = event.payment_intent_id.as_str();
    let known = saga.lost_hold.as_deref() == Some(id);
    if !event.is_canceled() || known || !counts_on(&saga.phase, event) {
        return Err(DecideError::IntentUpdateIgnored {
            payment_intent_id: event.payment_intent_id.clone(),
            intent_status: event.status.clone(),
            status: saga.phase.status(),
        });
    }
    Ok(Decision {
        saga: Saga {
            lost_hold: Some(id.to_owned()),
            ..saga.clone()
        },
        effects: Vec::new(),
    })
}

/// Whether `phase` still counts on the intent the event is about: it holds
/// it for an order or a capture, or is placing it (the intent's metadata
/// names the current authorize step).
fn counts_on(phase: &Phase, event: &PaymentIntentUpdated) -> bool {
    match phase {
        Phase::Authorizing { key, .. } => event.authorize_key.as_ref() == Some(key),
        Phase::Ordering { hold, .. }
        | Phase::Capturing { hold, .. }
        | Phase::CancellingOrder { hold, .. } => hold.payment_intent_id == event.payment_intent_id,
        Phase::Paused { waiting, .. } | Phase::OutcomeUnknown { waiting, .. } => {
            counts_on(waiting, event)
        }
        Phase::Stuck {
            resume: Some(resume),
            ..
        } => counts_on(resume, event),
        Phase::Searching { .. }
        | Phase::Watching { .. }
        | Phase::ReleasingHold { .. }
        | Phase::CancellingBooking { .. }
        | Phase::Refunding { .. }
        | Phase::Notifying { .. }
        | Phase::Booked { .. }
        | Phase::Failed { .. }
        | Phase::Cancelled { .. }
        | Phase::Stuck { resume: None, .. }
        | Phase::Aborted { .. } => false,
    }
}

/// Applied to every decision: a saga that comes to rest on a lost hold
/// (nothing in flight: paused before ordering or capturing on it, or its
/// capture's outcome unknown, which a canceled intent settles: it was not
/// captured) acts on the loss at once instead of waiting.
pub fn act_on_loss(decision: Decision, now: DateTime<Utc>, policy: &Policy) -> Decision {
    let saga = &decision.saga;
    let sends = decision
        .effects
        .iter()
        .any(|effect| matches!(effect, Effect::Send(_)));
    if saga.lost_hold.is_none() || sends {
        return decision;
    }
    let acted = match &saga.phase {
        Phase::Paused { waiting, .. } => match waiting.as_ref() {
            Phase::Ordering { hold, .. } if saga.has_lost(hold) => hold_gone(saga, now, policy),
            Phase::Capturing { hold, order, .. } if saga.has_lost(hold) => {
                unpayable(saga, hold, order)
            }
            _ => return decision,
        },
        Phase::OutcomeUnknown { waiting, .. } => match waiting.as_ref() {
            Phase::Capturing { hold, order, .. } if saga.has_lost(hold) => {
                unpayable(saga, hold, order)
            }
            _ => return decision,
        },
        _ => return decision,
    };
    // A new step: fresh budgets of re-checks and compensation attempts.
    Decision {
        saga: Saga {
            rechecks: 0,
            compensation_attempts: 0,
            ..acted.saga
        },
        effects: acted.effects,
    }
}

/// The order made on the lost hold cannot be paid for: cancel it.
fn unpayable(saga: &Saga, hold: &Hold, order: &OrderRef) -> Decision {
    steps::cancel_order(
        saga,
        hold.clone(),
        order.clone(),
        FailureReason::HoldLapsing,
    )
}

/// The hold is gone and nothing else is held: search again (within the
/// budget of searches), or fail for the lapsed hold past the deadline, or
/// stop if the traveller cancelled meanwhile.
pub fn hold_gone(saga: &Saga, now: DateTime<Utc>, policy: &Policy) -> Decision {
    if saga.cancel_requested {
        return cancellation::stop(saga);
    }
    if saga.past_deadline(now) {
        return finish::fail(saga, FailureReason::HoldLapsing);
    }
    commitments::search_again_or_give_up(saga, policy)
}

/// The order was not created on a lost hold: nothing to release. Search
/// again for an offer that went away; fail for a refused order.
pub fn order_failed(saga: &Saga, event: &OrderFailed, policy: &Policy) -> Decision {
    if saga.cancel_requested {
        return cancellation::stop(saga);
    }
    match event.reason {
        OrderFailureReason::OfferExpired | OrderFailureReason::PriceChanged => {
            commitments::search_again_or_give_up(saga, policy)
        }
        OrderFailureReason::Permanent => finish::fail(saga, FailureReason::OrderRejected),
    }
}

/// The order made on a lost hold is cancelled: nothing to release. The
/// airline's refusal stands; a failed capture or a lapsed hold is the
/// hold's doing, and the trip goes on as in [`hold_gone`].
pub fn order_cancelled(
    saga: &Saga,
    reason: &FailureReason,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    match reason {
        _ if saga.cancel_requested => cancellation::stop(saga),
        FailureReason::CaptureFailed | FailureReason::HoldLapsing => hold_gone(saga, now, policy),
        reason => finish::fail(saga, reason.clone()),
    }
}
