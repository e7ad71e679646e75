//! Metrics and debug logs of provider requests.
//!
//! Every request records `autobook_provider_requests_total{provider,
//! operation, outcome}` and `autobook_provider_request_duration_seconds
//! {provider, operation}`, and logs at debug level its provider, operation,
//! status, duration and the provider's request id. Never bodies.

use std::time::Duration;

use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};

use super::error::{Provider, ProviderError};

pub const REQUESTS_TOTAL: &str = "autobook_provider_requests_total";
pub const REQUEST_DURATION_SECONDS: &str = "autobook_provider_request_duration_seconds";

/// Registers descriptions and units with the installed recorder. Call once
/// at start-up, after installing the exporter.
pub fn describe_metrics() {
    describe_counter!(
        REQUESTS_TOTAL,
        Unit::Count,
        "Provider HTTP requests by provider, operation and outcome (ok, retryable, outcome_unknown, permanent)."
    );
    describe_histogram!(
        REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Time from sending a provider request to having its whole answer."
    );
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
        REQUESTS_TOTAL,
        "provider" => provider,
        "operation" => report.operation,
        "outcome" => report.outcome
    )
    .increment(1);
    histogram!(
        REQUEST_DURATION_SECONDS,
        "provider" => provider,
        "operation" => report.operation
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
