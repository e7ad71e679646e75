//! The body of `POST /v1/trip-requests`: JSON (415 otherwise), within the
//! size limit (413), a trip request without `user_id` (the user is the
//! token's subject), every field checked by the contract's parsers and then
//! by [`TripRequest::validate`]. Each refusal names its field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use chrono::{DateTime, Utc};
use serde_json::Value;

use autobook_contracts::codes::UserId;
use autobook_contracts::refusal;
use autobook_contracts::trip::TripRequest;

use super::error::ApiError;
use super::rejections::{broken_rule, refused};

/// The raw body of a request that declared itself JSON, within the limit
/// (`DefaultBodyLimit` on the router).
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if !is_json(content_type) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON, sent with Content-Type: application/json",
            )
            .on("Content-Type"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "body_too_large",
                        "the body is larger than this endpoint accepts",
                    )
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unreadable_body",
                        "the body could not be read",
                    )
                }
            })?;
        Ok(JsonBytes(bytes))
    }
}

/// `application/json`, with parameters (`; charset=utf-8`) or not.
fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The trip request in `body`, for `user`, valid at `now`.
pub fn parse_trip(body: &[u8], user: &UserId, now: DateTime<Utc>) -> Result<TripRequest, ApiError> {
    let mut value: Value =
        serde_json::from_slice(body).map_err(|error| refused(refusal::syntax_refusal(&error)))?;
    let Some(object) = value.as_object_mut() else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "the body must be a JSON object (a trip request)",
        ));
    };
    if object.contains_key("user_id") {
        return Err(ApiError::invalid(
            "forbidden_field",
            "user_id",
            "user_id is taken from the access token; leave it out of the body",
        ));
    }
    object.insert("user_id".into(), Value::String(user.as_str().to_owned()));
    let trip: TripRequest = refusal::from_value(value).map_err(refused)?;
    trip.validate(now).map_err(|error| broken_rule(&error))?;
    Ok(trip)
}

#[cfg(test)]
mod tests;
