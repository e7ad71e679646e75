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
//! so a cancel crossing a booking ends in exactly one outcome.

use autobook_contracts::Step;
use autobook_contracts::events::OrderCancelled;
use autobook_contracts::money::Money;

use super::compensation::holdings;
use super::decide::{DecideError, Decision, Effect};
use super::state::{AfterRelease, Booking, Hold, OrderRef, Outcome, Phase, Saga};
use super::{finish, steps};

/// A cancel request arrives.
pub fn requested(saga: &Saga) -> Result<Decision, DecideError> {
    let nothing = || DecideError::NothingToCancel {
        status: saga.phase.status(),
    };
    match &saga.phase {
        Phase::Searching { .. } | Phase::Watching { .. } => Ok(stop(saga)),
        Phase::Paused { waiting, .. } => Ok(match holdings(waiting) {
            (None, None) => stop(saga),
            (Some(hold), None) => release(saga, hold),
            (Some(hold), Some(order)) => cancel_order(saga, hold, order),
            (None, Some(_)) => return Err(nothing()),
        }),
        Phase::Booked { booking, .. } => Ok(cancel_booking(saga, booking)),
        // A step in flight: remembered, unwound when the step answers.
        Phase::Authorizing { .. }
        | Phase::Ordering { .. }
        | Phase::Capturing { .. }
        | Phase::ReleasingHold { .. }
        | Phase::CancellingOrder { .. }
        | Phase::OutcomeUnknown { .. }
        | Phase::Stuck { .. }
        | Phase::Notifying {
            outcome: Outcome::Booked { .. },
            ..
        } => {
            if saga.cancel_requested {
                return Err(nothing());
            }
            Ok(Decision {
                saga: Saga {
                    cancel_requested: true,
                    ..saga.clone()
                },
                effects: Vec::new(),
            })
        }
        Phase::Notifying { .. }
        | Phase::CancellingBooking { .. }
        | Phase::Refunding { .. }
        | Phase::Failed { .. }
        | Phase::Cancelled { .. }
        | Phase::Aborted { .. } => Err(nothing()),
    }
}

/// Nothing is held: stop and tell the traveller.
pub fn stop(saga: &Saga) -> Decision {
    finish::cancelled(saga, None, None, None)
}

/// A hold is in place: release it, then tell.
pub fn release(saga: &Saga, hold: Hold) -> Decision {
    let key = steps::key(saga, Step::Void);
    let command = steps::void(key.clone(), &hold);
    Decision::new(
        saga,
        Phase::ReleasingHold {
            key,
            hold,
            then: AfterRelease::Cancelled,
        },
        vec![Effect::Send(command.into())],
    )
}

/// An order and a hold exist but nothing was captured: cancel the order,
/// release the hold, then tell.
pub fn cancel_order(saga: &Saga, hold: Hold, order: OrderRef) -> Decision {
    let marked = Saga {
        cancel_requested: true,
        ..saga.clone()
    };
    let key = steps::key(&marked, Step::Cancel);
    let command = steps::cancel(key.clone(), &order);
    Decision::new(
        &marked,
        Phase::CancellingOrder {
            key,
            hold,
            order,
            reason: autobook_contracts::notification::FailureReason::OrderRejected,
        },
        vec![Effect::Send(command.into())],
    )
}

/// The trip is booked and paid: cancel the airline order first; its
/// answer says what the airline gives back.
pub fn cancel_booking(saga: &Saga, booking: &Booking) -> Decision {
    let marked = Saga {
        cancel_requested: true,
        ..saga.clone()
    };
    let key = steps::key(&marked, Step::Cancel);
    let command = steps::cancel(key.clone(), &booking.order);
    Decision::new(
        &marked,
        Phase::CancellingBooking {
            key,
            booking: booking.clone(),
        },
        vec![Effect::Send(command.into())],
    )
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
        Some(amount) => {
            let key = steps::key(saga, Step::Refund);
            let command = steps::refund(key.clone(), booking, amount);
            Decision::new(
                saga,
                Phase::Refunding {
                    key,
                    booking: booking.clone(),
                    amount,
                },
                vec![Effect::Send(command.into())],
            )
        }
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
