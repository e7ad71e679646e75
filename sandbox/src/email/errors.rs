//! Resend-style error answers: `{"statusCode","message","name"}`. Messages
//! never quote addresses or content.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::faults::Transient;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EmailError {
    pub(crate) status: StatusCode,
    pub(crate) name: &'static str,
    pub(crate) message: String,
}

impl EmailError {
    fn new(status: StatusCode, name: &'static str, message: impl Into<String>) -> Self {
        EmailError {
            status,
            name,
            message: message.into(),
        }
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            message,
        )
    }

    pub(crate) fn recipient_rejected() -> Self {
        Self::validation("recipient rejected")
    }

    /// 500 after the email was accepted (stored under the idempotency key).
    pub(crate) fn application_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "application_error",
            "An unexpected error occurred.",
        )
    }

    pub(crate) fn missing_api_key() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "missing_api_key",
            "Missing API key in the authorization header. Include the following header in the request: Authorization: Bearer YOUR_API_KEY",
        )
    }

    pub(crate) fn invalid_api_key() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_api_key",
            "API key is invalid",
        )
    }

    pub(crate) fn invalid_idempotency_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "The Idempotency-Key header must be 1 to 256 characters.",
        )
    }

    pub(crate) fn idempotency_mismatch() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "invalid_idempotent_request",
            "Same idempotency key used with a different request payload. Change your idempotency key or payload.",
        )
    }

    pub(crate) fn idempotency_in_flight() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "concurrent_idempotent_requests",
            "Same idempotency key used while the original request is still in progress. Try the request again later.",
        )
    }

    pub(crate) fn rate_limited(per_second: u32) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            format!(
                "Too many requests. You can only make {per_second} requests per second. Please retry after the time in the retry-after header."
            ),
        )
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method is not allowed for the requested route",
        )
    }

    pub(crate) fn transient(transient: Transient) -> Self {
        match transient {
            Transient::RateLimited => Self::rate_limited(2),
            Transient::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "application_error",
                "The service is temporarily unavailable. Please retry.",
            ),
        }
    }

    pub(crate) fn body(&self) -> Value {
        json!({ "statusCode": self.status.as_u16(), "message": self.message, "name": self.name })
    }
}

impl IntoResponse for EmailError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
        }
        response
    }
}
