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
use autobook_contracts::trip::TripRequest;

use super::error::ApiError;
use super::rejections::{describe_serde_error, field_path, validation_field};

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
    let mut value: Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not valid JSON: {error}"),
        )
    })?;
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
    let trip: TripRequest = serde_path_to_error::deserialize(value).map_err(|error| {
        let field = field_path(error.path());
        let inner = error.into_inner().to_string();
        rejection(&field, &inner)
    })?;
    trip.validate(now).map_err(|error| {
        let (code, field) = validation_field(&error);
        ApiError::invalid(code, field, error.to_string())
    })?;
    Ok(trip)
}

/// A field's deserialization error; the field comes from serde's message
/// when the path cannot name it (a missing or unknown field).
fn rejection(path: &str, message: &str) -> ApiError {
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(|name| join(path, name))
    };
    if let Some(field) = named("missing field `") {
        return ApiError::invalid("missing_field", field, "this field is required");
    }
    if let Some(field) = named("unknown field `") {
        return ApiError::invalid(
            "unknown_field",
            field,
            "this field is not part of a trip request",
        );
    }
    let field = if path.is_empty() { "body" } else { path };
    let mut described = describe_serde_error(message);
    if let Some(form) = expected_form(field) {
        described.push_str("; expected ");
        described.push_str(form);
    }
    ApiError::invalid("invalid_field", field, described)
}

/// The form of a date or time field, for chrono's terse messages.
fn expected_form(field: &str) -> Option<&'static str> {
    let last = field.rsplit('.').next().unwrap_or(field);
    match last {
        "departure_date" | "return_date" | "book_by" | "born_on" | "expires_on" => {
            Some("a date as YYYY-MM-DD")
        }
        "earliest" | "latest" => Some("a local time as HH:MM"),
        _ => None,
    }
}

/// `name` under `parent`, unless the path already ends with it.
fn join(parent: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .take(120)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if parent.is_empty() {
        name
    } else if parent == name || parent.ends_with(&format!(".{name}")) {
        parent.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests;
