//! Duffel error answers:
//! `{"meta":{"status","request_id"},"errors":[{"type","code","title","message","documentation_url","source"?}]}`.
//!
//! Handlers return a [`DuffelError`]; it travels to the gate in the
//! response's extensions, and the gate writes the body with the request id.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::faults::Transient;

const DOCS: &str = "https://duffel.com/docs/api/overview/errors";

/// One error answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DuffelError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) code: &'static str,
    pub(crate) title: &'static str,
    pub(crate) message: String,
    /// The request field at fault, as `passengers[0].email`.
    pub(crate) field: Option<String>,
}

impl DuffelError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        title: &'static str,
        message: impl Into<String>,
    ) -> Self {
        DuffelError {
            status,
            kind,
            code,
            title,
            message: message.into(),
            field: None,
        }
    }

    pub(crate) fn required(field: &str) -> Self {
        DuffelError {
            field: Some(field.to_owned()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                "validation_required",
                "Required field",
                format!("Field '{field}' can't be blank"),
            )
        }
    }

    /// A field the request needs here, with the reason (`validation_required`).
    pub(crate) fn required_because(field: &str, message: impl Into<String>) -> Self {
        DuffelError {
            message: message.into(),
            ..Self::required(field)
        }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        DuffelError {
            field: Some(field.to_owned()),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                "invalid",
                "Invalid field",
                message,
            )
        }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            "not_found",
            "Not found",
            "The resource you are trying to access does not exist.",
        )
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request_error",
            "method_not_allowed",
            "Method not allowed",
            "This endpoint does not support this HTTP method.",
        )
    }

    pub(crate) fn offer_no_longer_available(reason: &str) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_state_error",
            "offer_no_longer_available",
            "Offer no longer available",
            format!("The selected offer is no longer available: {reason}. Please search again."),
        )
    }

    pub(crate) fn price_changed() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_state_error",
            "price_changed",
            "Price changed",
            "The price of the selected offer has changed. Retrieve the offer again and pay its current total_amount.",
        )
    }

    /// The airline refused to ticket the offer (a permanent answer).
    pub(crate) fn airline_refused() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "airline_error",
            "airline_unknown",
            "Airline error",
            "The airline could not confirm this booking. No order was created and no payment was taken.",
        )
    }

    /// 500: the airline's system failed while answering. What was asked
    /// may have been done (an order created, a cancellation made).
    pub(crate) fn airline_internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "airline_error",
            "airline_internal",
            "Airline internal error",
            "The airline responded with an internal error. Please try again later.",
        )
    }

    pub(crate) fn already_cancelled() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_state_error",
            "already_cancelled",
            "Order already cancelled",
            "This order has already been cancelled.",
        )
    }

    pub(crate) fn missing_authorization() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "missing_authorization_header",
            "Missing authorization header",
            "The 'Authorization' header needs to be set and contain a valid API token.",
        )
    }

    pub(crate) fn invalid_authorization() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_authorization_header",
            "Invalid authorization header",
            "The 'Authorization' header must have the form 'Bearer <token>'.",
        )
    }

    pub(crate) fn missing_version() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "missing_version_header",
            "Missing version header",
            "The 'Duffel-Version' header needs to be set to a supported version, such as 'v2'.",
        )
    }

    pub(crate) fn unsupported_version() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "unsupported_version",
            "Unsupported version",
            "The 'Duffel-Version' header must be 'v2'.",
        )
    }

    /// 429: over the token's rate limit (or an injected throttle).
    pub(crate) fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "rate_limit_exceeded",
            "Rate limit exceeded",
            "Too many requests in a short period of time. Wait until the time in the ratelimit-reset header.",
        )
    }

    pub(crate) fn transient(transient: Transient) -> Self {
        match transient {
            Transient::RateLimited => Self::rate_limited(),
            Transient::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "api_error",
                "service_unavailable",
                "Service unavailable",
                "There is a temporary issue with the server. Please retry later.",
            ),
        }
    }

    /// The JSON body with the request id.
    pub(crate) fn body(&self, request_id: &str) -> Value {
        let mut error = json!({
            "type": self.kind,
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "documentation_url": DOCS,
        });
        if let Some(field) = &self.field {
            let pointer = format!("/{}", field.replace(['[', '.'], "/").replace(']', ""));
            error["source"] = json!({ "field": field, "pointer": pointer });
        }
        json!({
            "meta": { "status": self.status.as_u16(), "request_id": request_id },
            "errors": [error],
        })
    }

    /// The finished response.
    pub(crate) fn render(&self, request_id: &str) -> Response {
        (self.status, Json(self.body(request_id))).into_response()
    }
}

impl IntoResponse for DuffelError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_meta_and_source() {
        let body = DuffelError::required("passengers[0].email").body("req_1");
        assert_eq!(body["meta"]["status"], 422);
        assert_eq!(body["meta"]["request_id"], "req_1");
        let error = &body["errors"][0];
        assert_eq!(error["type"], "validation_error");
        assert_eq!(error["code"], "validation_required");
        assert_eq!(error["source"]["field"], "passengers[0].email");
        assert_eq!(error["source"]["pointer"], "/passengers/0/email");
        assert!(
            DuffelError::not_found().body("x")["errors"][0]
                .get("source")
                .is_none()
        );
    }
}
