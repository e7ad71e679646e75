//! Metrics and debug logs of provider requests.
//!
//! Every request records `autobook_provider_requests_total{provider,
//! operation, status, outcome}` and `autobook_provider_request_duration_seconds
//! {provider, operation, outcome}` (names in `metric_definitions`), and logs
//! at debug level its provider, operation, status, duration and the
//! provider's request id. Never bodies.

use std::time::Duration;

use metrics::{counter, histogram};

use super::error::{Provider, ProviderError};
use crate::metric_definitions::{PROVIDER_REQUEST_SECONDS, PROVIDER_REQUESTS};

/// The `status` label: the HTTP status class, or `none` when no answer came.
pub fn status_label(status: Option<u16>) -> &'static str {
    match status {
        None => "none",
        Some(100..=199) => "1xx",
        Some(200..=299) => "2xx",
        Some(300..=399) => "3xx",
        Some(400..=499) => "4xx",
        Some(500..=599) => "5xx",
        Some(_) => "other",
    }
}

/// The `outcome` label of a finished request.
pub fn outcome_label<T>(result: &Result<T, ProviderError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.class().as_str(),
    }
}

/// What one finished request reports.
pub(crate) struct RequestReport<'a> {
    pub provider: Provider,
    pub operation: &'static str,
    pub outcome: &'static str,
    /// HTTP status, when an answer came.
    pub status: Option<u16>,
    pub elapsed: Duration,
    pub request_id: Option<&'a str>,
}

pub(crate) fn record(report: &RequestReport<'_>) {
    let provider = report.provider.as_str();
    counter!(
        PROVIDER_REQUESTS,
        "provider" => provider,
        "operation" => report.operation,
        "status" => status_label(report.status),
        "outcome" => report.outcome
    )
    .increment(1);
    histogram!(
        PROVIDER_REQUEST_SECONDS,
        "provider" => provider,
        "operation" => report.operation,
        "outcome" => report.outcome
    )
    .record(report.elapsed.as_secs_f64());
    tracing::debug!(
        provider,
        operation = report.operation,
        outcome = report.outcome,
        status = report.status,
        duration_ms = u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
        request_id = report.request_id,
        "provider request finished"
    );
}
