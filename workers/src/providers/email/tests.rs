//! Email tests: JSON body, tag sanitizing, redacted Debug, error answers.

use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use super::client::{OutgoingEmail, decode_sent, email_body, error_from_response, sanitize_tag};
use crate::providers::error::{ErrorClass, Provider, ProviderError};
use crate::providers::tests::raw;

fn email() -> OutgoingEmail {
    OutgoingEmail {
        from: "autobook <trips@autobook.example>".into(),
        to: vec!["amelia@example.com".into()],
        subject: "Your flight is booked: JFK to LAX (RZPNX8)".into(),
        html: "<p>Booked</p>".into(),
        text: "Booked\n".into(),
        tags: vec![
            ("kind".into(), "booking_confirmed".into()),
            ("saga id".into(), "0190:notify:1".into()),
            ("émoji 🚀".into(), "x".into()),
            ("".into(), "dropped".into()),
        ],
    }
}

#[test]
fn body_is_resend_json_with_clean_tags() {
    let email = email();
    assert_eq!(
        serde_json::to_value(email_body(&email).unwrap()).unwrap(),
        json!({
            "from": "autobook <trips@autobook.example>",
            "to": ["amelia@example.com"],
            "subject": "Your flight is booked: JFK to LAX (RZPNX8)",
            "html": "<p>Booked</p>",
            "text": "Booked\n",
            "tags": [
                {"name": "kind", "value": "booking_confirmed"},
                {"name": "saga_id", "value": "0190_notify_1"},
                {"name": "_moji__", "value": "x"}
            ]
        })
    );
}

#[test]
fn tags_keep_only_letters_digits_underscores_and_dashes() {
    assert_eq!(sanitize_tag("a-b_C9"), "a-b_C9");
    assert_eq!(sanitize_tag("a b/c<d>"), "a_b_c_d_");
    assert_eq!(sanitize_tag(&"x".repeat(300)).len(), 256);
}

#[test]
fn impossible_emails_are_refused() {
    let mut nobody = email();
    nobody.to.clear();
    let mut crowd = email();
    crowd.to = vec!["a@example.com".into(); 51];
    let mut no_subject = email();
    no_subject.subject = "  ".into();
    for bad in [nobody, crowd, no_subject] {
        assert!(matches!(
            email_body(&bad),
            Err(ProviderError::InvalidRequest(_))
        ));
    }
}

#[test]
fn debug_hides_addresses_and_content() {
    let shown = format!("{:?}", email());
    for secret in ["amelia", "trips@", "RZPNX8", "Booked"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("kind"), "{shown}");
}

#[test]
fn sent_email_returns_its_id() {
    let id = decode_sent(&raw(
        200,
        &[],
        r#"{"id":"49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}"#,
    ))
    .unwrap();
    assert_eq!(id, "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794");
    let error = decode_sent(&raw(200, &[], "{}")).unwrap_err();
    assert_eq!(error.class(), ErrorClass::OutcomeUnknown);
}

fn resend_error(status: u16, name: &str) -> String {
    json!({"statusCode": status, "message": format!("{name} happened"), "name": name}).to_string()
}

#[test]
fn error_answers_classify() {
    let now = Utc::now();
    let cases = [
        (422, "validation_error", ErrorClass::Permanent),
        (401, "missing_api_key", ErrorClass::Permanent),
        (403, "invalid_api_key", ErrorClass::Permanent),
        (400, "invalid_idempotency_key", ErrorClass::Permanent),
        (409, "concurrent_idempotent_requests", ErrorClass::Retryable),
        (409, "invalid_idempotent_request", ErrorClass::Permanent),
        (429, "rate_limit_exceeded", ErrorClass::Retryable),
        (500, "application_error", ErrorClass::OutcomeUnknown),
    ];
    for (status, name, class) in cases {
        let error = error_from_response(&raw(status, &[], &resend_error(status, name)), now);
        assert_eq!(error.class(), class, "{status} {name}: {error}");
    }
    let rejected = error_from_response(&raw(422, &[], &resend_error(422, "validation_error")), now);
    assert!(matches!(
        &rejected,
        ProviderError::Rejected { provider: Provider::Email, status: 422, error_type, message, .. }
            if error_type == "validation_error" && message == "validation_error happened"
    ));
    let server = error_from_response(&raw(500, &[], &resend_error(500, "application_error")), now);
    assert_eq!(server.code(), Some("application_error"));
    let limited = error_from_response(
        &raw(
            429,
            &[("retry-after", "1")],
            &resend_error(429, "rate_limit_exceeded"),
        ),
        now,
    );
    assert!(matches!(
        limited,
        ProviderError::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(1)
    ));
}
