//! `GET /v1/bookings/{id}`: the booking's flights, the airline's reference
//! (PNR) and what was paid and refunded, from the `bookings` read model the
//! orchestrator keeps (read through its [`trips`]). Row-level security
//! shows only the caller's.

use axum::extract::State;

use autobook_orchestrator::admin::trips;

use super::db::as_user;
use super::error::ApiError;
use super::middleware::{Caller, IdParam};
use super::state::Gateway;
use super::views::{Amount, BookingView};

pub async fn show(
    State(gateway): State<Gateway>,
    caller: Caller,
    IdParam(booking_id): IdParam,
) -> Result<axum::Json<BookingView>, ApiError> {
    let mut tx = as_user(&gateway.pool, &caller.user).await?;
    let Some(record) = trips::booking(&mut tx, booking_id).await? else {
        return Err(ApiError::not_found("booking"));
    };
    let currency = record.currency;
    Ok(axum::Json(BookingView {
        booking_id,
        trip_id: record.saga_id,
        status: record.status,
        booking_reference: record.booking_reference,
        amount: Amount {
            amount_minor: record.amount_minor,
            currency: currency.clone(),
        },
        refunded: record.refunded_minor.map(|amount_minor| Amount {
            amount_minor,
            currency,
        }),
        itinerary: record.itinerary,
        booked_at: record.booked_at,
        cancelled_at: record.cancelled_at,
    }))
}
