//! `GET /v1/trip-requests/{id}` and `POST /v1/trip-requests/{id}/cancel`.
//!
//! A trip is the caller's when row-level security shows it: its saga, or,
//! before the orchestrator has taken it, its submission. Anyone else's
//! trip, like one that does not exist, is a 404.
//!
//! The saga, its history and its booking are read through the
//! orchestrator's [`trips`], which cuts the summary out of the saga's
//! state in SQL (places, dates, cabin, price, the number of passengers),
//! so passengers' data never reaches the gateway; the state's personal
//! fields may be sealed. The submission is read through the orchestrator's
//! [`submissions`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_contracts::events::TripCancelRequested;
use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::admin::trips;
use autobook_orchestrator::submissions;

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

async fn saga_view(
    tx: &mut Transaction<'static, Postgres>,
    trip_id: Uuid,
) -> Result<Option<TripView>, sqlx::Error> {
    let Some(record) = trips::trip(tx, trip_id).await? else {
        return Ok(None);
    };
    let submitted = submissions::submitted_at(tx, trip_id).await?;
    let mut history = Vec::new();
    if let Some(at) = submitted {
        history.push(submitted_entry(at));
    }
    history.extend(
        trips::history(tx, trip_id)
            .await?
            .into_iter()
            .map(|t| HistoryEntry {
                from_status: t.from_status,
                to_status: t.to_status,
                message_type: Some(t.message_type),
                at: t.recorded_at,
            }),
    );
    let created = record.created_at;
    Ok(Some(TripView {
        trip_id,
        status: record.status,
        finished: record.terminal,
        created_at: submitted.map_or(created, |s| s.min(created)),
        updated_at: record.updated_at,
        trip: record
            .summary
            .and_then(|s| serde_json::from_value::<TripSummary>(s).ok()),
        booking_id: record.booking_id,
        failure: record
            .failure
            .and_then(|f| serde_json::from_value::<FailureReason>(f).ok())
            .map(|reason| Failure {
                code: reason.code().to_owned(),
                message: reason.describe().to_owned(),
            }),
        cancellation: record
            .cancelled
            .and_then(|c| serde_json::from_value::<Cancellation>(c).ok()),
        history,
    }))
}

/// A trip the orchestrator has not taken yet.
async fn submitted_view(
    tx: &mut Transaction<'static, Postgres>,
    trip_id: Uuid,
) -> Result<Option<TripView>, sqlx::Error> {
    let submitted = submissions::submitted_at(tx, trip_id).await?;
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
    let visible = trips::saga_exists(&mut tx, trip_id).await?
        || submissions::submitted_at(&mut tx, trip_id).await?.is_some();
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
