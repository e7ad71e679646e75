//! Why a delivery is refused or failed, and the answer Stripe gets: 400s
//! for what Stripe should not send again as is, 413 for a body too large,
//! 500 (so Stripe delivers again) when the event could not be recorded and
//! passed on; each in the gateway's error shape,
//! `{"error": {"code", "message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use autobook_broker::PublishError;
use autobook_contracts::stripe_webhook::{EventError, SignatureError};

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the request has no Stripe-Signature header")]
    NoSignatureHeader,
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error("the body is over {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body is not a Stripe event: {0}")]
    MalformedEvent(String),
    #[error("the event could not be recorded: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the event could not be passed on: {0}")]
    Publish(#[from] PublishError),
}

impl From<EventError> for WebhookError {
    fn from(error: EventError) -> Self {
        WebhookError::MalformedEvent(error.to_string())
    }
}

impl WebhookError {
    /// A stable code for answers and logs.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::NoSignatureHeader => "signature_missing",
            WebhookError::Signature(error) => error.code(),
            WebhookError::TooLarge { .. } => "body_too_large",
            WebhookError::MalformedEvent(_) => "malformed_event",
            WebhookError::Database(_) => "not_recorded",
            WebhookError::Publish(_) => "not_published",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebhookError::NoSignatureHeader
            | WebhookError::Signature(_)
            | WebhookError::MalformedEvent(_) => StatusCode::BAD_REQUEST,
            WebhookError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookError::Database(_) | WebhookError::Publish(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), error = %self, "stripe webhook not handled");
        } else {
            tracing::warn!(code = self.code(), error = %self, "stripe webhook refused");
        }
        // Our own failures say only their code; refusals say why.
        let message = if status.is_server_error() {
            "the event could not be handled; deliver it again".to_owned()
        } else {
            self.to_string()
        };
        // The gateway's one error shape (`ErrorBody`), as documented.
        ApiError::new(status, self.code(), message).into_response()
    }
}
