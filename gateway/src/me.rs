//! `GET /v1/me/export` and `DELETE /v1/me`: the traveller's own data, all
//! of it as JSON, and the request to erase it. The work is
//! [`crate::privacy`]'s; this module only answers for it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::middleware::Caller;
use super::state::Gateway;

/// Everything autobook holds on the caller.
pub async fn export(State(gateway): State<Gateway>, caller: Caller) -> Result<Response, ApiError> {
    let document = crate::privacy::export(
        &gateway.pool,
        &gateway.vault,
        &caller.user,
        gateway.clock.now(),
    )
    .await
    .map_err(|error| ApiError::unavailable("data export", &error))?;
    Ok(axum::Json(document).into_response())
}

/// Asks for the caller's data to be erased; their trips stop.
pub async fn erase(State(gateway): State<Gateway>, caller: Caller) -> Result<Response, ApiError> {
    let receipt = crate::privacy::request_erasure(&gateway.pool, &caller.user)
        .await
        .map_err(|error| ApiError::unavailable("erasure", &error))?;
    Ok((StatusCode::ACCEPTED, axum::Json(receipt)).into_response())
}
