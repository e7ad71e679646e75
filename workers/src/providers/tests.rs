//! Tests of the shared provider pieces: key redaction, configuration,
//! error classification and messages, 429 waits, client construction.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;

use super::config::{ApiKey, ConfigError, ProviderConfig};
use super::error::{ErrorClass, MESSAGE_LIMIT, Provider, ProviderError, clip};
use super::rate_limit::retry_after;
use super::telemetry::{outcome_label, status_label};
use super::transport::{RawResponse, json_error_detail, parse_json, path_id};
use super::{DuffelClient, EmailClient, StripeClient};

/// A response as the transport hands it to a decoder.
pub(super) fn raw(status: u16, headers: &[(&'static str, &str)], body: &str) -> RawResponse {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    RawResponse {
        status,
        headers: map,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn api_key_is_never_printed() {
    let key = ApiKey::new("sk_test_supersecret");
    assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
    assert_eq!(key.to_string(), "ApiKey(<redacted>)");
    let config = ProviderConfig::new("http://127.0.0.1:1", key.clone());
    assert!(!format!("{config:?}").contains("supersecret"));
    assert_eq!(key.expose(), "sk_test_supersecret");
}

#[test]
fn config_reads_prefixed_variables() {
    let env = |name: &str| match name {
        "STRIPE_BASE_URL" => Some("http://127.0.0.1:4020".to_owned()),
        "STRIPE_API_KEY" => Some("sk_test_x".to_owned()),
        "STRIPE_TIMEOUT_MS" => Some("2500".to_owned()),
        _ => None,
    };
    let config = ProviderConfig::from_lookup(Provider::Stripe, env).unwrap();
    assert_eq!(config.base_url, "http://127.0.0.1:4020");
    assert_eq!(config.api_key.expose(), "sk_test_x");
    assert_eq!(config.timeout, Duration::from_millis(2500));
    assert_eq!(config.connect_timeout, Duration::from_secs(2));

    let missing = ProviderConfig::from_lookup(Provider::Duffel, env).unwrap_err();
    assert_eq!(missing, ConfigError::Missing("DUFFEL_BASE_URL".into()));
    let no_key = |name: &str| (name == "EMAIL_BASE_URL").then(|| "http://x".to_owned());
    assert_eq!(
        ProviderConfig::from_lookup(Provider::Email, no_key).unwrap_err(),
        ConfigError::Missing("EMAIL_API_KEY".into())
    );
    let bad_timeout = |name: &str| match name {
        "EMAIL_TIMEOUT_MS" => Some("soon".to_owned()),
        _ => Some("v".to_owned()),
    };
    assert_eq!(
        ProviderConfig::from_lookup(Provider::Email, bad_timeout).unwrap_err(),
        ConfigError::InvalidMillis("EMAIL_TIMEOUT_MS".into())
    );
}

fn rejected(provider: Provider, status: u16) -> ProviderError {
    ProviderError::Rejected {
        provider,
        status,
        error_type: "invalid_request_error".into(),
        code: Some("x".into()),
        decline_code: None,
        payment_intent_id: None,
        message: "no".into(),
    }
}

fn server(provider: Provider, status: u16, code: Option<&str>) -> ProviderError {
    ProviderError::Server {
        provider,
        status,
        code: code.map(str::to_owned),
        detail: "boom".into(),
    }
}

#[test]
fn every_variant_classifies() {
    use ErrorClass::*;
    use Provider::*;
    let invalid = |status| ProviderError::InvalidResponse {
        provider: Duffel,
        status,
        detail: "x".into(),
    };
    let table: Vec<(ProviderError, ErrorClass)> = vec![
        (
            ProviderError::Connect {
                provider: Stripe,
                detail: "refused".into(),
            },
            Retryable,
        ),
        (ProviderError::Timeout { provider: Duffel }, OutcomeUnknown),
        (
            ProviderError::RateLimited {
                provider: Email,
                retry_after: None,
            },
            Retryable,
        ),
        (
            ProviderError::Conflict {
                provider: Stripe,
                detail: "same key".into(),
            },
            Retryable,
        ),
        (
            server(Duffel, 500, Some("airline_internal")),
            OutcomeUnknown,
        ),
        (server(Duffel, 502, Some("order_not_created")), Retryable),
        (server(Duffel, 502, Some("bad_gateway")), OutcomeUnknown),
        (
            server(Duffel, 503, Some("order_not_created")),
            OutcomeUnknown,
        ),
        (
            server(Stripe, 502, Some("order_not_created")),
            OutcomeUnknown,
        ),
        (server(Email, 500, None), OutcomeUnknown),
        (rejected(Stripe, 402), Permanent),
        (rejected(Duffel, 422), Permanent),
        (invalid(200), OutcomeUnknown),
        (invalid(201), OutcomeUnknown),
        (invalid(404), Permanent),
        (invalid(302), Permanent),
        (
            ProviderError::InvalidRequest("bad amount".into()),
            Permanent,
        ),
    ];
    for (error, expected) in table {
        assert_eq!(error.class(), expected, "{error}");
    }
}

#[test]
fn outcome_labels_follow_the_class() {
    assert_eq!(outcome_label::<()>(&Ok(())), "ok");
    assert_eq!(
        outcome_label::<()>(&Err(ProviderError::Timeout {
            provider: Provider::Duffel
        })),
        "outcome_unknown"
    );
    assert_eq!(
        outcome_label::<()>(&Err(rejected(Provider::Stripe, 400))),
        "permanent"
    );
    assert_eq!(
        outcome_label::<()>(&Err(server(
            Provider::Duffel,
            502,
            Some("order_not_created")
        ))),
        "retryable"
    );
    assert_eq!(Provider::Email.to_string(), "email");
}

#[test]
fn status_labels_are_classes_never_raw_codes() {
    let table = [
        (None, "none"),
        (Some(200), "2xx"),
        (Some(201), "2xx"),
        (Some(302), "3xx"),
        (Some(402), "4xx"),
        (Some(429), "4xx"),
        (Some(500), "5xx"),
        (Some(599), "5xx"),
        (Some(600), "other"),
        (Some(99), "other"),
    ];
    for (status, label) in table {
        assert_eq!(status_label(status), label, "{status:?}");
    }
}

#[test]
fn messages_are_clipped_and_cleaned() {
    let long = format!("line1\nline2 {}", "x".repeat(1000));
    let clipped = clip(&long);
    assert_eq!(clipped.chars().count(), MESSAGE_LIMIT + 1);
    assert!(clipped.ends_with('…') && !clipped.contains('\n'));
    assert_eq!(clip("short"), "short");
}

#[test]
fn displays_name_the_provider_and_the_wait() {
    let limited = ProviderError::RateLimited {
        provider: Provider::Duffel,
        retry_after: Some(Duration::from_millis(1500)),
    };
    assert_eq!(
        limited.to_string(),
        "duffel: rate limited, retry after 1500 ms"
    );
    let shown = server(Provider::Duffel, 502, Some("order_not_created")).to_string();
    assert_eq!(shown, "duffel: server error 502 (order_not_created): boom");
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let wait = |headers: &[(&'static str, &str)]| retry_after(&raw(429, headers, "").headers, now);
    assert_eq!(wait(&[("retry-after", "7")]), Some(Duration::from_secs(7)));
    assert_eq!(
        wait(&[("retry-after", "Fri, 01 May 2026 12:00:30 GMT")]),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        wait(&[("ratelimit-reset", "Fri, 01 May 2026 12:01:00 GMT")]),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        wait(&[("ratelimit-reset", "Fri, 01 May 2026 11:59:00 GMT")]),
        Some(Duration::ZERO)
    );
    let epoch = (now.timestamp() + 5).to_string();
    assert_eq!(
        wait(&[("ratelimit-reset", &epoch)]),
        Some(Duration::from_secs(5))
    );
    assert_eq!(wait(&[("ratelimit-reset", "soon")]), None);
    assert_eq!(wait(&[]), None);
    // Retry-After wins over ratelimit-reset.
    assert_eq!(
        wait(&[
            ("retry-after", "2"),
            ("ratelimit-reset", "Fri, 01 May 2026 12:01:00 GMT")
        ]),
        Some(Duration::from_secs(2))
    );
}

#[test]
fn clients_refuse_bad_base_urls_and_keys() {
    let config = |url: &str, key: &str| ProviderConfig::new(url, ApiKey::new(key));
    for url in [
        "ftp://example.com",
        "not a url",
        "http://user:pw@example.com",
        "http://h/?q=1",
    ] {
        let error = DuffelClient::new(config(url, "k")).unwrap_err();
        assert_eq!(error.class(), ErrorClass::Permanent, "{url}");
    }
    let error = StripeClient::new(config("http://127.0.0.1:1", "sk_test_\nleak")).unwrap_err();
    assert!(matches!(error, ProviderError::InvalidRequest(_)));
    assert!(!error.to_string().contains("leak"));
    assert!(DuffelClient::new(config("http://127.0.0.1:1/duffel/", "k")).is_ok());
    let stripe = StripeClient::new(config("https://api.stripe.com", "sk_test_hidden")).unwrap();
    assert!(!format!("{stripe:?}").contains("sk_test_hidden"));
    assert!(EmailClient::new(config("http://localhost:4030", "k")).is_ok());
}

#[test]
fn path_ids_are_checked() {
    assert_eq!(
        path_id("id", "ord_00009hthhsUZ8W4LxQgkjo").unwrap(),
        "ord_00009hthhsUZ8W4LxQgkjo"
    );
    for bad in [
        "",
        "../admin",
        "ord_1?x=1",
        "ord 1",
        "ord/1",
        &"a".repeat(256),
    ] {
        assert!(path_id("id", bad).is_err(), "{bad}");
    }
}

#[derive(Debug, Deserialize)]
struct Numbered {
    #[allow(dead_code)]
    id: u32,
}

#[test]
fn json_errors_do_not_quote_values() {
    let error = serde_json::from_str::<Numbered>(r#"{"id":"Amelia Earhart"}"#).unwrap_err();
    let detail = json_error_detail(&error);
    assert!(!detail.contains("Amelia"), "{detail}");
    let missing = serde_json::from_str::<Numbered>("{}").unwrap_err();
    assert!(json_error_detail(&missing).starts_with("missing field `id`"));

    let parsed = parse_json::<Numbered>(Provider::Duffel, &raw(200, &[], "<html>")).unwrap_err();
    assert_eq!(parsed.class(), ErrorClass::OutcomeUnknown);
}

#[test]
fn raw_responses_expose_the_request_id() {
    assert_eq!(
        raw(200, &[("x-request-id", "FZ1")], "").request_id(),
        Some("FZ1")
    );
    assert_eq!(
        raw(200, &[("request-id", "req_1")], "").request_id(),
        Some("req_1")
    );
    assert_eq!(raw(200, &[], "").request_id(), None);
}
