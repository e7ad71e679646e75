//! Duffel error answers and their classification.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::providers::duffel::client::decode_order;
use crate::providers::duffel::errors::error_from_response;
use crate::providers::error::{ErrorClass, Provider, ProviderError};
use crate::providers::tests::raw;

fn duffel_error(status: u16, kind: &str, code: &str, message: &str) -> String {
    json!({
        "meta": {"status": status, "request_id": "FZW0H3HdJwKk5HMAAKxB"},
        "errors": [{
            "type": kind, "code": code, "title": "Something went wrong",
            "message": message, "documentation_url": "https://duffel.com/docs/api/overview/errors"
        }]
    })
    .to_string()
}

#[test]
fn error_answers_map_to_variants_and_classes() {
    let now = Utc::now();
    let cases: Vec<(u16, String, ErrorClass)> = vec![
        (
            422,
            duffel_error(
                422,
                "validation_error",
                "validation_required",
                "Field 'x' is required",
            ),
            ErrorClass::Permanent,
        ),
        (
            422,
            duffel_error(
                422,
                "invalid_state_error",
                "offer_no_longer_available",
                "gone",
            ),
            ErrorClass::Permanent,
        ),
        (
            401,
            duffel_error(
                401,
                "authentication_error",
                "missing_authorization_header",
                "no",
            ),
            ErrorClass::Permanent,
        ),
        (
            400,
            duffel_error(400, "invalid_request_error", "missing_version_header", "no"),
            ErrorClass::Permanent,
        ),
        (
            429,
            duffel_error(429, "rate_limit_error", "rate_limit_exceeded", "slow down"),
            ErrorClass::Retryable,
        ),
        (
            409,
            duffel_error(409, "invalid_state_error", "conflict", "busy"),
            ErrorClass::Retryable,
        ),
        (
            500,
            duffel_error(500, "airline_error", "airline_internal", "oops"),
            ErrorClass::OutcomeUnknown,
        ),
        (
            502,
            duffel_error(502, "api_error", "order_not_created", "no order"),
            ErrorClass::Retryable,
        ),
        (
            503,
            "<html>unavailable</html>".to_owned(),
            ErrorClass::OutcomeUnknown,
        ),
        (
            404,
            "<html>not found</html>".to_owned(),
            ErrorClass::Permanent,
        ),
        (302, String::new(), ErrorClass::Permanent),
    ];
    for (status, body, class) in cases {
        let error = error_from_response(&raw(status, &[], &body), now);
        assert_eq!(error.class(), class, "{status}: {error}");
    }
}

#[test]
fn rejection_keeps_type_code_and_message() {
    let body = duffel_error(
        422,
        "invalid_state_error",
        "price_changed",
        "The price changed",
    );
    let error = error_from_response(&raw(422, &[], &body), Utc::now());
    let ProviderError::Rejected {
        provider,
        status,
        error_type,
        code,
        message,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(*provider, Provider::Duffel);
    assert_eq!(*status, 422);
    assert_eq!(error_type, "invalid_state_error");
    assert_eq!(code.as_deref(), Some("price_changed"));
    assert_eq!(message, "Something went wrong: The price changed");
    assert_eq!(error.code(), Some("price_changed"));
}

#[test]
fn order_not_created_is_a_server_error_with_its_code() {
    let body = duffel_error(502, "api_error", "order_not_created", "no order");
    let error = error_from_response(&raw(502, &[], &body), Utc::now());
    assert!(matches!(
        &error,
        ProviderError::Server { status: 502, code: Some(code), .. } if code == "order_not_created"
    ));
}

#[test]
fn rate_limit_waits_until_ratelimit_reset() {
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let answer = raw(
        429,
        &[
            ("ratelimit-limit", "60"),
            ("ratelimit-remaining", "0"),
            ("ratelimit-reset", "Fri, 01 May 2026 12:00:42 GMT"),
            ("x-request-id", "FZW0H3HdJwKk5HMAAKxB"),
        ],
        &duffel_error(429, "rate_limit_error", "rate_limit_exceeded", "slow down"),
    );
    let error = error_from_response(&answer, now);
    assert!(matches!(
        error,
        ProviderError::RateLimited { provider: Provider::Duffel, retry_after: Some(wait) }
            if wait == Duration::from_secs(42)
    ));
}

#[test]
fn long_messages_are_clipped() {
    let body = duffel_error(
        422,
        "validation_error",
        "validation_required",
        &"x".repeat(5000),
    );
    let shown = error_from_response(&raw(422, &[], &body), Utc::now()).to_string();
    assert!(shown.len() < 500, "{}", shown.len());
}

#[test]
fn undecodable_success_is_an_unknown_outcome() {
    let error = decode_order(&raw(201, &[], r#"{"data": {"id": "ord_1"}}"#)).unwrap_err();
    assert!(matches!(
        error,
        ProviderError::InvalidResponse { status: 201, .. }
    ));
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
    // An order without a booking reference cannot be confirmed to anyone.
    let no_pnr = json!({"data": {"id": "ord_1", "booking_reference": null,
        "total_amount": "1.00", "total_currency": "USD", "cancelled_at": null}});
    let error = decode_order(&raw(201, &[], &no_pnr.to_string())).unwrap_err();
    assert!(error.to_string().contains("booking_reference"), "{error}");
}

#[test]
fn personal_data_in_an_undecodable_order_is_not_echoed() {
    let body = json!({"data": {"id": "ord_1", "booking_reference": "ABC123",
        "total_amount": "Amelia Earhart", "total_currency": "USD"}});
    let error = decode_order(&raw(200, &[], &body.to_string())).unwrap_err();
    assert!(!error.to_string().contains("Amelia"), "{error}");
    let body = json!({"data": {"id": 12, "booking_reference": "Amelia Earhart"}});
    let error = decode_order(&raw(200, &[], &body.to_string())).unwrap_err();
    assert!(!error.to_string().contains("Amelia"), "{error}");
}
