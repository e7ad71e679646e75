//! Read models kept beside each saga, in the transaction that moves it:
//! its passengers (personal data sealed), the offers it committed to, and
//! its booking. The gateway reads them (through row-level security), export
//! lists them, erasure and retention scrub them.
//!
//! [`changes`] decides what a transition means for them (pure);
//! [`write`] applies that in the executor's transaction.

use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use autobook_contracts::offer::OfferSummary;
use autobook_vault::Place;

use super::StoreError;
use crate::saga::state::{Booking, Outcome, Phase, Saga};

/// What one transition changes in the read models.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The saga was created: its passengers are recorded.
    Passengers,
    /// The saga committed to an offer (it asks for a hold on it).
    OfferSelected(OfferSummary),
    /// The saga now holds a confirmed booking.
    Booked(Booking),
    /// The booking was cancelled (and refunded, when money was taken).
    BookingCancelled { refunded_minor: Option<i64> },
}

/// The read-model changes of moving from `previous` (None: a new saga) to `next`.
pub fn changes(previous: Option<&Phase>, next: &Phase) -> Vec<Change> {
    let mut out = Vec::new();
    let Some(previous) = previous else {
        out.push(Change::Passengers);
        return out;
    };
    if let Phase::Authorizing { offer, .. } = next {
        let same = matches!(previous, Phase::Authorizing { offer: before, .. } if before.offer_id == offer.offer_id);
        if !same {
            out.push(Change::OfferSelected(offer.clone()));
        }
    }
    if let Some(booking) = booking_of(next)
        && booking_of(previous).is_none()
    {
        out.push(Change::Booked(booking.clone()));
    }
    if let Some(refunded) = cancelled_booking(next)
        && cancelled_booking(previous).is_none()
    {
        out.push(Change::BookingCancelled {
            refunded_minor: refunded,
        });
    }
    out
}

/// The confirmed booking a phase holds, if any.
fn booking_of(phase: &Phase) -> Option<&Booking> {
    match phase {
        Phase::Booked { booking, .. }
        | Phase::CancellingBooking { booking, .. }
        | Phase::Refunding { booking, .. } => Some(booking),
        Phase::Notifying {
            outcome: Outcome::Booked { booking },
            ..
        } => Some(booking),
        Phase::Paused { waiting, .. } => booking_of(waiting),
        _ => None,
    }
}

/// For a phase after a booking was cancelled: what was refunded (None
/// inside: nothing was). None: no booking was cancelled.
fn cancelled_booking(phase: &Phase) -> Option<Option<i64>> {
    match phase {
        Phase::Cancelled {
            booking_reference: Some(_),
            refunded,
            ..
        }
        | Phase::Notifying {
            outcome:
                Outcome::Cancelled {
                    booking_reference: Some(_),
                    refunded,
                    ..
                },
            ..
        } => Some(refunded.map(|m| m.amount_minor)),
        _ => None,
    }
}

/// Turns a piece of personal data into the form stored at a field of a place.
pub(super) type Seal<'a> = dyn Fn(&str, &Place, &'static str) -> String + Sync + 'a;

/// Applies `changes` for `saga`; `seal` turns a piece of personal data into
/// the form stored.
pub(super) async fn write(
    tx: &mut Transaction<'_, Postgres>,
    saga: &Saga,
    changes: &[Change],
    seal: &Seal<'_>,
) -> Result<(), StoreError> {
    for change in changes {
        match change {
            Change::Passengers => insert_passengers(tx, saga, seal).await?,
            Change::OfferSelected(offer) => insert_offer(tx, saga, offer).await?,
            Change::Booked(booking) => insert_booking(tx, saga, booking).await?,
            Change::BookingCancelled { refunded_minor } => {
                sqlx::query(
                    "UPDATE bookings SET status = 'cancelled', refunded_minor = $2, cancelled_at = now() \
                     WHERE saga_id = $1",
                )
                .bind(saga.id)
                .bind(refunded_minor)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// Each passenger's values are sealed for their own row (saga and
/// position) and column.
async fn insert_passengers(
    tx: &mut Transaction<'_, Postgres>,
    saga: &Saga,
    seal: &Seal<'_>,
) -> Result<(), StoreError> {
    let trip = &saga.trip;
    let travel_ends_on = trip.return_date.unwrap_or(trip.departure_date);
    for (position, passenger) in trip.passengers.iter().enumerate() {
        let position = i16::try_from(position).unwrap_or(i16::MAX);
        let place = Place::passenger(saga.id, position);
        let seal = |value: &str, column: &'static str| seal(value, &place, column);
        sqlx::query(
            "INSERT INTO passengers (saga_id, position, user_id, title, gender, given_name, family_name, \
             born_on, email, phone_number, travel_ends_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
        )
        .bind(saga.id)
        .bind(position)
        .bind(trip.user_id.as_str())
        .bind(text(&passenger.title))
        .bind(text(&passenger.gender))
        .bind(seal(passenger.given_name.expose(), "given_name"))
        .bind(seal(passenger.family_name.expose(), "family_name"))
        .bind(seal(&passenger.born_on.to_string(), "born_on"))
        .bind(seal(passenger.email.expose(), "email"))
        .bind(seal(passenger.phone_number.expose(), "phone_number"))
        .bind(travel_ends_on)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_offer(
    tx: &mut Transaction<'_, Postgres>,
    saga: &Saga,
    offer: &OfferSummary,
) -> Result<(), StoreError> {
    let summary = serde_json::to_value(offer).map_err(|e| StoreError::CorruptState {
        saga_id: saga.id,
        detail: e.to_string(),
    })?;
    sqlx::query(
        "INSERT INTO offers (saga_id, offer_id, user_id, summary, total_minor, currency, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(saga.id)
    .bind(&offer.offer_id)
    .bind(saga.trip.user_id.as_str())
    .bind(summary)
    .bind(offer.total.amount_minor)
    .bind(offer.total.currency.as_str())
    .bind(offer.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_booking(
    tx: &mut Transaction<'_, Postgres>,
    saga: &Saga,
    booking: &Booking,
) -> Result<(), StoreError> {
    let itinerary = serde_json::json!({
        "owner": booking.offer.owner,
        "owner_name": booking.offer.owner_name,
        "cabin_class": booking.offer.cabin_class,
        "slices": booking.offer.slices,
    });
    sqlx::query(
        "INSERT INTO bookings (id, saga_id, user_id, status, order_id, booking_reference, payment_intent_id, \
         amount_minor, currency, itinerary) VALUES ($1, $2, $3, 'confirmed', $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (saga_id) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(saga.id)
    .bind(saga.trip.user_id.as_str())
    .bind(&booking.order.order_id)
    .bind(&booking.order.booking_reference)
    .bind(&booking.payment_intent_id)
    .bind(booking.captured.amount_minor)
    .bind(booking.captured.currency.as_str())
    .bind(itinerary)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The wire name of a unit enum value ("ms", "f").
fn text(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}
