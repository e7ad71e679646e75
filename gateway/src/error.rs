//! The gateway's error responses: one JSON shape for every refusal,
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`, with the
//! status and headers that go with it (`Retry-After`, `WWW-Authenticate`).
//!
//! Messages name the problem and, where there is one, the field; they never
//! quote personal data. Failures of the database or the broker are logged
//! here (without request data) and answered without their detail.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ErrorDetail {
    /// A stable machine code (`invalid_field`, `token_expired`, ...).
    pub code: String,
    /// What is wrong, for a person.
    pub message: String,
    /// The field at fault, as a path (`passengers[0].born_on`), or a header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A refusal, ready to become a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// The same error, naming the field at fault.
    pub fn on(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The same error, telling the client when to try again.
    pub fn retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// A 422 about one field of the request.
    pub fn invalid(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).on(field)
    }

    /// A 404 that says nothing about whether the thing exists for someone else.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// A 503: a service the gateway needs did not answer. `cause` is logged.
    pub fn unavailable(what: &'static str, cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(service = what, error = %cause, "request failed: service unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("{what} is unavailable; try again shortly"),
        )
        .retry_after(Duration::from_secs(1))
    }

    /// A 503 for a database failure.
    pub fn database(cause: sqlx::Error) -> Self {
        ApiError::unavailable("the database", &cause)
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message.clone(),
                field: self.field.clone(),
            },
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        ApiError::database(error)
    }
}

/// Whole seconds to wait, rounded up, at least one.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        let headers = response.headers_mut();
        if let Some(wait) = self.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(wait)),
            );
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_names_code_message_and_field() {
        let error = ApiError::invalid("invalid_field", "origin", "three uppercase letters");
        let json = serde_json::to_value(error.body()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"error": {
                "code": "invalid_field", "message": "three uppercase letters", "field": "origin"
            }})
        );
        let json = serde_json::to_value(ApiError::not_found("trip request").body()).unwrap();
        assert!(json["error"].get("field").is_none());
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn responses_carry_their_headers() {
        let response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "slow down")
            .retry_after(Duration::from_millis(2500))
            .into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        let response =
            ApiError::new(StatusCode::UNAUTHORIZED, "missing_token", "no token").into_response();
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
