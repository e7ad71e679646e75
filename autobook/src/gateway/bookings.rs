//! `GET /v1/bookings/{id}`: the booking's flights, the airline's reference
//! (PNR) and what was paid and refunded, from the `bookings` read model the
//! orchestrator keeps. Row-level security shows only the caller's.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::db::as_user;
use super::error::ApiError;
use super::middleware::{Caller, IdParam};
use super::state::Gateway;
use super::views::{Amount, BookingView};

type BookingRow = (
    Uuid,
    String,
    String,
    i64,
    String,
    Option<i64>,
    Value,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

pub async fn show(
    State(gateway): State<Gateway>,
    caller: Caller,
    IdParam(booking_id): IdParam,
) -> Result<axum::Json<BookingView>, ApiError> {
    let mut tx = as_user(&gateway.pool, &caller.user).await?;
    let row: Option<BookingRow> = sqlx::query_as(
        "SELECT saga_id, status, booking_reference, amount_minor, currency, refunded_minor, \
                itinerary, booked_at, cancelled_at \
         FROM bookings WHERE id = $1",
    )
    .bind(booking_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((
        trip_id,
        status,
        reference,
        amount,
        currency,
        refunded,
        itinerary,
        booked,
        cancelled,
    )) = row
    else {
        return Err(ApiError::not_found("booking"));
    };
    Ok(axum::Json(BookingView {
        booking_id,
        trip_id,
        status,
        booking_reference: reference,
        amount: Amount {
            amount_minor: amount,
            currency: currency.clone(),
        },
        refunded: refunded.map(|amount_minor| Amount {
            amount_minor,
            currency,
        }),
        itinerary,
        booked_at: booked,
        cancelled_at: cancelled,
    }))
}
