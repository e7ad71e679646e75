//! The saga's steps, each declared next to its compensation, and the
//! commands that carry them out, built from saga state alone (so a retry
//! rebuilds exactly the same command with the same idempotency key).
//!
//! | step      | effect                      | compensation            |
//! |-----------|-----------------------------|-------------------------|
//! | search    | none                        | none                    |
//! | authorize | hold on the card            | void the hold           |
//! | order     | airline order (ticket)      | cancel the order        |
//! | capture   | money taken                 | refund, when the traveller cancels |
//! | notify    | email                       | none: never undone      |
//!
//! The effectful steps are declared once below ([`AUTHORIZE`], [`ORDER`],
//! [`CAPTURE`]): the command that does, the step and command that undo.
//! Each compensation is built here and only here ([`release_hold`],
//! [`cancel_order`], [`cancel_booking`], [`refund_booking`]), keyed by its
//! declared undo step.
//!
//! A capture is the last effect that can fail the booking; once it
//! succeeds the saga is booked and a failed email does not undo it.

use autobook_contracts::Money;
use autobook_contracts::commands::{
    AuthorizePayment, CancelOrder, CapturePayment, CreateOrder, OrderPassenger, RefundPayment,
    SearchOffers, SendNotification, VoidHold,
};
use autobook_contracts::notification::{FailureReason, NotificationContent};
use autobook_contracts::offer::OfferSummary;
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{IdempotencyKey, Message, MessageType, Step};

use super::decision::{Decision, Effect};
use super::state::{AfterRelease, Booking, Hold, OrderRef, Outcome, Phase, Saga};

/// A step that changes something at a provider, declared with its undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effectful {
    pub step: Step,
    /// The command that carries the step out.
    pub command: MessageType,
    /// The step that undoes it, and that step's command.
    pub undo: Step,
    pub undo_command: MessageType,
}

/// A hold on the card; undone by voiding it.
pub const AUTHORIZE: Effectful = Effectful {
    step: Step::Authorize,
    command: MessageType::AuthorizePayment,
    undo: Step::Void,
    undo_command: MessageType::VoidHold,
};

/// The airline order; undone by cancelling it (before or after capture).
pub const ORDER: Effectful = Effectful {
    step: Step::Order,
    command: MessageType::CreateOrder,
    undo: Step::Cancel,
    undo_command: MessageType::CancelOrder,
};

/// The money taken; undone, when the traveller cancels, by a refund of
/// what the fare allows.
pub const CAPTURE: Effectful = Effectful {
    step: Step::Capture,
    command: MessageType::CapturePayment,
    undo: Step::Refund,
    undo_command: MessageType::RefundPayment,
};

/// Every effectful step, in the order the saga takes them.
pub const EFFECTFUL: [Effectful; 3] = [AUTHORIZE, ORDER, CAPTURE];

/// Undo [`AUTHORIZE`]: void the hold, then go on as `then` says.
pub fn release_hold(saga: &Saga, hold: Hold, then: AfterRelease) -> Decision {
    let key = key(saga, AUTHORIZE.undo);
    let command = void(key.clone(), &hold);
    Decision::new(
        saga,
        Phase::ReleasingHold { key, hold, then },
        vec![Effect::Send(command.into())],
    )
}

/// Undo [`ORDER`] before anything was captured: cancel the order; the hold
/// is dealt with next, then the saga ends with `reason` (or, the traveller
/// having cancelled, as cancelled).
pub fn cancel_order(saga: &Saga, hold: Hold, order: OrderRef, reason: FailureReason) -> Decision {
    let key = key(saga, ORDER.undo);
    let command = cancel(key.clone(), &order);
    Decision::new(
        saga,
        Phase::CancellingOrder {
            key,
            hold,
            order,
            reason,
        },
        vec![Effect::Send(command.into())],
    )
}

/// Undo [`ORDER`] of a booked, paid trip: cancel the airline order first;
/// its answer says what the airline gives back.
pub fn cancel_booking(saga: &Saga, booking: &Booking) -> Decision {
    let key = key(saga, ORDER.undo);
    let command = cancel(key.clone(), &booking.order);
    Decision::new(
        saga,
        Phase::CancellingBooking {
            key,
            booking: booking.clone(),
        },
        vec![Effect::Send(command.into())],
    )
}

/// Undo [`CAPTURE`]: give back `amount` of what was captured.
pub fn refund_booking(saga: &Saga, booking: &Booking, amount: Money) -> Decision {
    let key = key(saga, CAPTURE.undo);
    let command = refund(key.clone(), booking, amount);
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

/// The command a waiting phase sent, rebuilt from state with the same key
/// (for re-checks and retries). None for phases that wait on nothing.
pub fn resend(saga: &Saga, phase: &Phase) -> Option<Message> {
    let message = match phase {
        Phase::Searching { key } => search(&saga.trip, key.clone()).into(),
        Phase::Authorizing { key, offer } => authorize(saga, key.clone(), offer).into(),
        Phase::Ordering { key, offer, .. } => order(saga, key.clone(), offer).into(),
        Phase::Capturing {
            key, hold, order, ..
        } => capture(saga, key.clone(), hold, order).into(),
        Phase::ReleasingHold { key, hold, .. } => void(key.clone(), hold).into(),
        Phase::CancellingOrder { key, order, .. } => cancel(key.clone(), order).into(),
        Phase::CancellingBooking { key, booking } => cancel(key.clone(), &booking.order).into(),
        Phase::Refunding {
            key,
            booking,
            amount,
        } => refund(key.clone(), booking, *amount).into(),
        Phase::Notifying { key, outcome } => match outcome {
            Outcome::Booked { booking } => confirmation(saga, key.clone(), booking).into(),
            Outcome::Failed { reason } => failure_notice(saga, key.clone(), reason).into(),
            Outcome::Cancelled { .. } => cancellation_notice(saga, key.clone(), outcome).into(),
        },
        Phase::OutcomeUnknown { waiting, .. } | Phase::Paused { waiting, .. } => {
            return resend(saga, waiting);
        }
        Phase::Watching { .. }
        | Phase::Booked { .. }
        | Phase::Cancelled { .. }
        | Phase::Failed { .. }
        | Phase::Stuck { .. }
        | Phase::Aborted { .. } => {
            return None;
        }
    };
    Some(message)
}

pub fn key(saga: &Saga, step: Step) -> IdempotencyKey {
    IdempotencyKey::derive(saga.id, step, saga.epoch)
}

pub fn search(trip: &TripRequest, key: IdempotencyKey) -> SearchOffers {
    SearchOffers {
        idempotency_key: key,
        origin: trip.origin.clone(),
        destination: trip.destination.clone(),
        departure_date: trip.departure_date,
        return_date: trip.return_date,
        passenger_ages: trip.passenger_ages(),
        cabin_class: trip.cabin_class,
        max_connections: trip.max_stops.unwrap_or(2),
    }
}

pub fn authorize(saga: &Saga, key: IdempotencyKey, offer: &OfferSummary) -> AuthorizePayment {
    let trip = &saga.trip;
    AuthorizePayment {
        idempotency_key: key,
        user_id: trip.user_id.clone(),
        amount: offer.total,
        payment_method: trip.payment.payment_method.clone(),
        customer: trip.payment.customer.clone(),
        description: format!(
            "Flight {}-{} {}",
            trip.origin, trip.destination, trip.departure_date
        ),
    }
}

pub fn order(saga: &Saga, key: IdempotencyKey, offer: &OfferSummary) -> CreateOrder {
    CreateOrder {
        idempotency_key: key,
        user_id: saga.trip.user_id.clone(),
        offer_id: offer.offer_id.clone(),
        amount: offer.total,
        passengers: offer
            .passenger_ids
            .iter()
            .zip(&saga.trip.passengers)
            .zip(saga.trip.passenger_ages())
            .map(|((id, details), age)| OrderPassenger {
                passenger_id: id.clone(),
                age: Some(age),
                details: details.clone(),
            })
            .collect(),
        identity_documents_required: offer.identity_documents_required,
    }
}

pub fn capture(saga: &Saga, key: IdempotencyKey, hold: &Hold, order: &OrderRef) -> CapturePayment {
    CapturePayment {
        idempotency_key: key,
        user_id: saga.trip.user_id.clone(),
        payment_intent_id: hold.payment_intent_id.clone(),
        amount: order.amount,
    }
}

pub fn void(key: IdempotencyKey, hold: &Hold) -> VoidHold {
    VoidHold {
        idempotency_key: key,
        payment_intent_id: hold.payment_intent_id.clone(),
    }
}

pub fn cancel(key: IdempotencyKey, order: &OrderRef) -> CancelOrder {
    CancelOrder {
        idempotency_key: key,
        order_id: order.order_id.clone(),
    }
}

pub fn refund(key: IdempotencyKey, booking: &Booking, amount: Money) -> RefundPayment {
    RefundPayment {
        idempotency_key: key,
        payment_intent_id: booking.payment_intent_id.clone(),
        amount,
    }
}

pub fn confirmation(saga: &Saga, key: IdempotencyKey, booking: &Booking) -> SendNotification {
    SendNotification {
        idempotency_key: key,
        to: saga.trip.contact_email.clone(),
        content: NotificationContent::BookingConfirmed {
            booking_reference: booking.order.booking_reference.clone(),
            airline_name: booking.offer.owner_name.clone(),
            total: booking.captured,
            passenger_count: u8::try_from(saga.trip.passengers.len()).unwrap_or(u8::MAX),
            itinerary: booking.offer.slices.clone(),
        },
    }
}

pub fn failure_notice(
    saga: &Saga,
    key: IdempotencyKey,
    reason: &FailureReason,
) -> SendNotification {
    let trip = &saga.trip;
    SendNotification {
        idempotency_key: key,
        to: trip.contact_email.clone(),
        content: NotificationContent::BookingFailed {
            reason: reason.clone(),
            origin: trip.origin.clone(),
            destination: trip.destination.clone(),
            departure_date: trip.departure_date,
        },
    }
}

/// The "your trip is cancelled" email for a `Cancelled` outcome.
pub fn cancellation_notice(
    saga: &Saga,
    key: IdempotencyKey,
    outcome: &Outcome,
) -> SendNotification {
    let trip = &saga.trip;
    let (booking_reference, charged, refunded) = match outcome {
        Outcome::Cancelled {
            booking_reference,
            charged,
            refunded,
        } => (booking_reference.clone(), *charged, *refunded),
        Outcome::Booked { .. } | Outcome::Failed { .. } => (None, None, None),
    };
    SendNotification {
        idempotency_key: key,
        to: trip.contact_email.clone(),
        content: NotificationContent::TripCancelled {
            origin: trip.origin.clone(),
            destination: trip.destination.clone(),
            departure_date: trip.departure_date,
            booking_reference,
            charged,
            refunded,
        },
    }
}
