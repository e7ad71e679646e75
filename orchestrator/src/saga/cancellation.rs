//! Cancellation by the traveller.
//!
//! | where the saga is                 | what a cancel does                           |
//! |-----------------------------------|----------------------------------------------|
//! | searching, watching               | stop; tell the traveller                     |
//! | paused before a step              | undo what is held (void, cancel order); stop |
//! | a step in flight                  | remember; unwind when the step answers       |
//! | booked (or telling of a booking)  | cancel the order (Duffel's two steps), refund what the fare allows, tell |
//! | failed, cancelled, aborted        | nothing: cancelling twice is harmless        |
//!
//! A step in flight is never raced: its answer decides what must be undone,
//! so a cancel crossing a booking ends in exactly one outcome. Which phase
//! does which is a row of the transition table ([`super::decide`]).

use autobook_contracts::events::OrderCancelled;
use autobook_contracts::money::Money;
use autobook_contracts::notification::FailureReason;

use super::decision::{DecideError, Decision};
use super::state::{AfterRelease, Booking, Phase, Saga};
use super::{finish, steps};

/// A cancel while paused before a step: undo what is held (the hold, the
/// order and hold), or stop when nothing is.
pub fn paused(saga: &Saga, waiting: &Phase) -> Result<Decision, DecideError> {
    match waiting.holdings() {
        (None, None) => Ok(stop(saga)),
        (Some(hold), None) => Ok(steps::release_hold(saga, hold, AfterRelease::Cancelled)),
        (Some(hold), Some(order)) => Ok(steps::cancel_order(
            &marked(saga),
            hold,
            order,
            FailureReason::OrderRejected,
        )),
        (None, Some(_)) => Err(nothing_to_cancel(saga)),
    }
}

/// A cancel while a step is in flight (or an operator must look first):
/// remembered, and unwound when the step answers. A second one is harmless.
pub fn remember(saga: &Saga) -> Result<Decision, DecideError> {
    if saga.cancel_requested {
        return Err(nothing_to_cancel(saga));
    }
    Ok(Decision {
        saga: marked(saga),
        effects: Vec::new(),
    })
}

/// A cancel for a saga that has ended or is unwinding already: harmless.
pub fn nothing_to_cancel(saga: &Saga) -> DecideError {
    DecideError::NothingToCancel {
        status: saga.phase.status(),
    }
}

/// Nothing is held: stop and tell the traveller.
pub fn stop(saga: &Saga) -> Decision {
    finish::cancelled(saga, None, None, None)
}

/// The saga, remembering that the traveller asked to cancel.
pub fn marked(saga: &Saga) -> Saga {
    Saga {
        cancel_requested: true,
        ..saga.clone()
    }
}

/// What goes back to the card: the airline's refund under the fare's
/// conditions, never more than was captured, never in another currency.
pub fn refundable(booking: &Booking, airline_refund: Option<Money>) -> Option<Money> {
    let refund = airline_refund?;
    let captured = booking.captured;
    (refund.currency == captured.currency && refund.amount_minor > 0).then(|| Money {
        amount_minor: refund.amount_minor.min(captured.amount_minor),
        currency: captured.currency,
    })
}

/// The booked order is cancelled: refund what the fare allows, or tell.
pub fn booking_cancelled(saga: &Saga, booking: &Booking, event: &OrderCancelled) -> Decision {
    match refundable(booking, event.refund) {
        Some(amount) => steps::refund_booking(saga, booking, amount),
        None => finish::cancelled(
            saga,
            Some(booking.order.booking_reference.clone()),
            Some(booking.captured),
            None,
        ),
    }
}

/// The refund went through: tell the traveller.
pub fn refunded(saga: &Saga, booking: &Booking, amount: Money) -> Decision {
    finish::cancelled(
        saga,
        Some(booking.order.booking_reference.clone()),
        Some(booking.captured),
        Some(amount),
    )
}
