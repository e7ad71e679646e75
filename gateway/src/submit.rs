//! `POST /v1/trip-requests`: a validated trip request is recorded through
//! the orchestrator's [`submissions`] and published as `trip.requested` in one
//! transaction. The publish waits for the broker's confirm before the row
//! is committed, so a request the broker did not take leaves nothing
//! behind (503, safe to retry); a retry under the same `Idempotency-Key`
//! answers with the first attempt's trip and publishes nothing.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sqlx::{Postgres, Transaction};
use tracing::Instrument;
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_contracts::trip::TripRequest;
use autobook_orchestrator::submissions;

use super::db::as_user;
use super::error::ApiError;
use super::idempotency::{self, HEADER_NAME};
use super::middleware::Caller;
use super::state::Gateway;
use super::trip_body::{JsonBytes, parse_trip};
use super::views::Submitted;

pub const SUMMARY: &str = "Submit a trip request to be booked automatically";

pub async fn submit(
    State(gateway): State<Gateway>,
    caller: Caller,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> Result<Response, ApiError> {
    let key = idempotency::key(&headers)?;
    let trip = parse_trip(&body, &caller.user, gateway.clock.now())?;
    let hash = idempotency::request_hash(&trip);
    let mut tx = as_user(&gateway.pool, &caller.user).await?;
    if autobook_orchestrator::admin::erasures::pending(&mut tx).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "erasure_pending",
            "this account's data is being erased; no new trip requests are taken",
        ));
    }
    let trip_id = Uuid::now_v7();
    let recorded = submissions::record(
        &mut tx,
        trip_id,
        caller.user.as_str(),
        key.as_deref(),
        &hash,
    )
    .await?;
    if !recorded {
        return replay(&mut tx, key.as_deref().unwrap_or_default(), &hash).await;
    }
    publish(&gateway, trip_id, trip).await?;
    if let Err(error) = tx.commit().await {
        // The broker has the request: the trip goes ahead. Only its
        // Idempotency-Key record is lost; answering 503 would invite a
        // retry that books twice.
        tracing::warn!(%trip_id, %error, "trip request published but its submission record not committed");
    }
    Ok(accepted(trip_id, StatusCode::ACCEPTED))
}

/// The key was used before: the same request gets its trip back, another
/// request is refused.
async fn replay(
    tx: &mut Transaction<'static, Postgres>,
    key: &str,
    hash: &str,
) -> Result<Response, ApiError> {
    let first = submissions::by_key(tx, key).await?;
    if first.request_hash != hash {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different trip request; use a new key",
        )
        .on(HEADER_NAME));
    }
    let mut response = accepted(first.trip_id, StatusCode::OK);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Ok(response)
}

/// Publishes `trip.requested` and waits for the broker's confirm.
async fn publish(gateway: &Gateway, trip_id: Uuid, trip: TripRequest) -> Result<(), ApiError> {
    let mut envelope = Envelope::new(trip_id, trip);
    let span = autobook_broker::spans::submitting(&mut envelope);
    gateway
        .publisher
        .publish(&envelope)
        .instrument(span)
        .await
        .map_err(|error| ApiError::unavailable("the message broker", &error))
}

fn accepted(trip_id: Uuid, status: StatusCode) -> Response {
    let body = Submitted {
        trip_id,
        status: "submitted".into(),
    };
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/trip-requests/{trip_id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
