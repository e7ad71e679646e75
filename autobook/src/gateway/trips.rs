//! `GET /v1/trip-requests/{id}` and `POST /v1/trip-requests/{id}/cancel`.
//!
//! A trip is the caller's when row-level security shows it: its saga, or,
//! before the orchestrator has taken it, its submission. Anyone else's
//! trip, like one that does not exist, is a 404.
//!
//! The summary is cut out of the saga's state in SQL (places, dates, cabin,
//! price, the number of passengers), so passengers' data never reaches the
//! gateway; the state's personal fields may be sealed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_contracts::events::TripCancelRequested;
use autobook_contracts::notification::FailureReason;

use super::db::as_user;
use super::error::ApiError;
use super::middleware::{Caller, IdParam};
use super::state::Gateway;
use super::views::{CancelAccepted, Cancellation, Failure, HistoryEntry, TripSummary, TripView};

const WHAT: &str = "trip request";

pub async fn show(
    State(gateway): State<Gateway>,
    caller: Caller,
    IdParam(trip_id): IdParam,
) -> Result<axum::Json<TripView>, ApiError> {
    let mut tx = as_user(&gateway.pool, &caller.user).await?;
    let view = match saga_view(&mut tx, trip_id).await? {
        Some(view) => view,
        None => submitted_view(&mut tx, trip_id)
            .await?
            .ok_or_else(|| ApiError::not_found(WHAT))?,
    };
    Ok(axum::Json(view))
}

type SagaRow = (
    String,
    bool,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<Value>,
    Option<Value>,
    Option<Value>,
    Option<Uuid>,
);

async fn saga_view(
    tx: &mut Transaction<'static, Postgres>,
    trip_id: Uuid,
) -> Result<Option<TripView>, sqlx::Error> {
    let row: Option<SagaRow> = sqlx::query_as(
        "SELECT s.status, s.terminal, s.created_at, s.updated_at, t.submitted_at, \
                jsonb_strip_nulls(jsonb_build_object( \
                    'origin', s.state->'trip'->'origin', \
                    'destination', s.state->'trip'->'destination', \
                    'departure_date', s.state->'trip'->'departure_date', \
                    'return_date', s.state->'trip'->'return_date', \
                    'cabin_class', s.state->'trip'->'cabin_class', \
                    'max_price', s.state->'trip'->'max_price', \
                    'max_stops', s.state->'trip'->'max_stops', \
                    'passengers', CASE WHEN jsonb_typeof(s.state->'trip'->'passengers') = 'array' \
                                       THEN jsonb_array_length(s.state->'trip'->'passengers') END)), \
                CASE WHEN s.status = 'failed' THEN s.state->'phase'->'reason' END, \
                CASE WHEN s.status = 'cancelled' THEN s.state->'phase' END, \
                b.id \
         FROM sagas s \
         LEFT JOIN trip_submissions t ON t.trip_id = s.id \
         LEFT JOIN bookings b ON b.saga_id = s.id \
         WHERE s.id = $1",
    )
    .bind(trip_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((status, terminal, created, updated, submitted, summary, failure, cancelled, booking)) =
        row
    else {
        return Ok(None);
    };
    let mut history = Vec::new();
    if let Some(at) = submitted {
        history.push(submitted_entry(at));
    }
    history.extend(audit(tx, trip_id).await?);
    Ok(Some(TripView {
        trip_id,
        status,
        finished: terminal,
        created_at: submitted.map_or(created, |s| s.min(created)),
        updated_at: updated,
        trip: summary.and_then(|s| serde_json::from_value::<TripSummary>(s).ok()),
        booking_id: booking,
        failure: failure
            .and_then(|f| serde_json::from_value::<FailureReason>(f).ok())
            .map(|reason| Failure {
                code: reason.code().to_owned(),
                message: reason.describe().to_owned(),
            }),
        cancellation: cancelled.and_then(|c| serde_json::from_value::<Cancellation>(c).ok()),
        history,
    }))
}

async fn audit(
    tx: &mut Transaction<'static, Postgres>,
    trip_id: Uuid,
) -> Result<Vec<HistoryEntry>, sqlx::Error> {
    let rows: Vec<(Option<String>, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT from_status, to_status, message_type, recorded_at \
         FROM saga_audit WHERE saga_id = $1 ORDER BY version",
    )
    .bind(trip_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(from_status, to_status, message_type, at)| HistoryEntry {
            from_status,
            to_status,
            message_type: Some(message_type),
            at,
        })
        .collect())
}

/// A trip the orchestrator has not taken yet.
async fn submitted_view(
    tx: &mut Transaction<'static, Postgres>,
    trip_id: Uuid,
) -> Result<Option<TripView>, sqlx::Error> {
    let submitted: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT submitted_at FROM trip_submissions WHERE trip_id = $1")
            .bind(trip_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(submitted.map(|at| TripView {
        trip_id,
        status: "submitted".into(),
        finished: false,
        created_at: at,
        updated_at: at,
        trip: None,
        booking_id: None,
        failure: None,
        cancellation: None,
        history: vec![submitted_entry(at)],
    }))
}

fn submitted_entry(at: DateTime<Utc>) -> HistoryEntry {
    HistoryEntry {
        from_status: None,
        to_status: "submitted".into(),
        message_type: None,
        at,
    }
}

/// Sends the traveller's cancellation (with the broker's confirm).
pub async fn cancel(
    State(gateway): State<Gateway>,
    caller: Caller,
    IdParam(trip_id): IdParam,
) -> Result<Response, ApiError> {
    let mut tx = as_user(&gateway.pool, &caller.user).await?;
    let visible: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sagas WHERE id = $1) \
             OR EXISTS (SELECT 1 FROM trip_submissions WHERE trip_id = $1)",
    )
    .bind(trip_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.rollback().await?;
    if !visible {
        return Err(ApiError::not_found(WHAT));
    }
    let envelope = Envelope::new(
        trip_id,
        TripCancelRequested {
            requested_by: "traveller".into(),
        },
    );
    gateway
        .publisher
        .publish(&envelope)
        .await
        .map_err(|error| ApiError::unavailable("the message broker", &error))?;
    let body = CancelAccepted {
        trip_id,
        status: "cancel_requested".into(),
    };
    Ok((StatusCode::ACCEPTED, axum::Json(body)).into_response())
}
