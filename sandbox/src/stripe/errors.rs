//! Stripe error answers: `{"error":{"type","code","decline_code","message","param","payment_intent"}}`,
//! absent fields left out, as Stripe does.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::faults::Transient;

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StripeError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) code: Option<&'static str>,
    pub(crate) decline_code: Option<&'static str>,
    pub(crate) message: String,
    pub(crate) param: Option<String>,
    pub(crate) payment_intent: Option<Box<Value>>,
    /// Sets `Stripe-Should-Retry: true` (transient faults).
    pub(crate) should_retry: bool,
}

impl StripeError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: Option<&'static str>,
        message: impl Into<String>,
    ) -> Self {
        StripeError {
            status,
            kind,
            code,
            decline_code: None,
            message: message.into(),
            param: None,
            payment_intent: None,
            should_retry: false,
        }
    }

    fn with_param(mut self, param: &str) -> Self {
        self.param = Some(param.to_owned());
        self
    }

    pub(crate) fn with_intent(mut self, intent: Value) -> Self {
        self.payment_intent = Some(Box::new(intent));
        self
    }

    /// 400 invalid_request_error with a code and the parameter at fault.
    pub(crate) fn invalid(code: &'static str, param: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(code),
            message,
        )
        .with_param(param)
    }

    pub(crate) fn missing(param: &str) -> Self {
        Self::invalid(
            "parameter_missing",
            param,
            format!("Missing required param: {param}."),
        )
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            message,
        )
    }

    pub(crate) fn resource_missing(kind: &str, id: &str, param: &str) -> Self {
        let shown: String = id.chars().take(60).collect();
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            format!("No such {kind}: '{shown}'"),
        )
        .with_param(param)
    }

    /// A parameter names an object that does not exist (400).
    pub(crate) fn no_such(kind: &str, id: &str, param: &str) -> Self {
        let shown: String = id.chars().take(60).collect();
        Self::invalid(
            "resource_missing",
            param,
            format!("No such {kind}: '{shown}'"),
        )
    }

    pub(crate) fn unexpected_state(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("payment_intent_unexpected_state"),
            message,
        )
    }

    pub(crate) fn card_declined(decline_code: &'static str, message: &str) -> Self {
        StripeError {
            decline_code: Some(decline_code),
            ..Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "card_error",
                Some("card_declined"),
                message,
            )
        }
    }

    /// 402: the card needs 3-D Secure and the caller asked not to stop at
    /// `requires_action`.
    pub(crate) fn authentication_required() -> Self {
        StripeError {
            decline_code: Some("authentication_required"),
            ..Self::new(
                StatusCode::PAYMENT_REQUIRED,
                "card_error",
                Some("authentication_required"),
                "Your card was declined. This transaction requires authentication.",
            )
        }
    }

    pub(crate) fn unauthorized(message: &str) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            message,
        )
    }

    pub(crate) fn not_found_route(method: &str, path: &str) -> Self {
        let path: String = path.chars().take(100).collect();
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            None,
            format!("Unrecognized request URL ({method}: {path})."),
        )
    }

    pub(crate) fn idempotency_mismatch() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "idempotency_error",
            None,
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using another key if you meant to execute a different request.",
        )
    }

    pub(crate) fn idempotency_in_flight() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "idempotency_error",
            None,
            "There is currently another in-progress request using this Idempotency-Key (that probably means you submitted twice, and the other request is still going through). Please try again later.",
        )
    }

    /// A 500 after the request took effect. Stripe stores it under the
    /// idempotency key like any answer, so asking again replays it.
    pub(crate) fn internal_after_effect() -> Self {
        StripeError {
            should_retry: true,
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                None,
                "An unknown error occurred while processing your request.",
            )
        }
    }

    /// A 500 before the request took effect. Not stored under the
    /// idempotency key: asking again runs the request afresh.
    pub(crate) fn internal_before_effect() -> Self {
        StripeError {
            should_retry: true,
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "api_error",
                None,
                "An unknown error occurred while processing your request.",
            )
        }
    }

    /// 429: too many requests for the key's rate limit (or an injected one).
    pub(crate) fn rate_limited() -> Self {
        StripeError {
            should_retry: true,
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "invalid_request_error",
                Some("rate_limit"),
                "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
            )
        }
    }

    pub(crate) fn transient(transient: Transient) -> Self {
        let error = match transient {
            Transient::RateLimited => return Self::rate_limited(),
            Transient::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "api_error",
                None,
                "Stripe is temporarily unavailable. Please retry the request.",
            ),
        };
        StripeError {
            should_retry: true,
            ..error
        }
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let mut error = Map::new();
        error.insert("type".into(), json!(self.kind));
        error.insert("message".into(), json!(self.message));
        if let Some(code) = self.code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        if let Some(decline_code) = self.decline_code {
            error.insert("decline_code".into(), json!(decline_code));
        }
        if let Some(param) = &self.param {
            error.insert("param".into(), json!(param));
        }
        if let Some(intent) = &self.payment_intent {
            error.insert("payment_intent".into(), Value::clone(intent));
        }
        json!({ "error": error })
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if self.should_retry {
            response
                .headers_mut()
                .insert("stripe-should-retry", HeaderValue::from_static("true"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_errors_carry_decline_codes_and_the_intent() {
        let error =
            StripeError::card_declined("insufficient_funds", "Your card has insufficient funds.")
                .with_intent(json!({"id": "pi_1"}));
        let body = error.body();
        assert_eq!(error.status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(body["error"]["type"], "card_error");
        assert_eq!(body["error"]["code"], "card_declined");
        assert_eq!(body["error"]["decline_code"], "insufficient_funds");
        assert_eq!(body["error"]["payment_intent"]["id"], "pi_1");
        assert!(
            StripeError::missing("amount").body()["error"]
                .get("decline_code")
                .is_none()
        );
    }
}
