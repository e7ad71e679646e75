//! Metric names of the workers, with their descriptions and units (the
//! rate limiter's are `autobook_throttle::metric_definitions`).
//!
//! Labels are bounded: `queue` is a worker role, `handling` is `replayed`,
//! `in_flight` or `waiting`, `step` a gated saga step (authorize, order, capture),
//! `reason` a flag denial (kill_switch, pipeline_disabled, unavailable),
//! `provider` is duffel, stripe or email, `operation` one
//! of the provider clients' fixed endpoint names (search, create_order,
//! capture_payment_intent, ...), `outcome` an error class (ok, retryable,
//! outcome_unknown, permanent) and `status` an HTTP status class (2xx, 3xx,
//! 4xx, 5xx, or none when no answer came).

use metrics::{Unit, describe_counter, describe_histogram};

pub const DUPLICATE_COMMANDS: &str = "autobook_worker_duplicate_commands_total";
pub const DEFERRED_STEPS: &str = "autobook_worker_deferred_steps_total";
pub const GAVE_UP_COMMANDS: &str = "autobook_worker_gave_up_total";
pub const PROVIDER_REQUESTS: &str = "autobook_provider_requests_total";
pub const PROVIDER_REQUEST_SECONDS: &str = "autobook_provider_request_duration_seconds";
pub const CALLS_PRUNED: &str = "autobook_provider_calls_pruned_total";

/// Every counter this crate records.
pub const COUNTERS: &[&str] = &[
    DUPLICATE_COMMANDS,
    DEFERRED_STEPS,
    GAVE_UP_COMMANDS,
    PROVIDER_REQUESTS,
    CALLS_PRUNED,
];
/// Every gauge this crate records.
pub const GAUGES: &[&str] = &[];
/// Every histogram this crate records.
pub const HISTOGRAMS: &[&str] = &[PROVIDER_REQUEST_SECONDS];

/// Registers descriptions and units with the installed recorder.
/// Creates a worker's counters at zero for its queue (each handling of a
/// duplicate command, and the rate limiter's fallbacks), so rates and
/// alerts see a series before its first event. Call when a worker starts.
pub fn register_series(queue: autobook_contracts::QueueRole) {
    for handling in ["replayed", "waiting", "in_flight"] {
        metrics::counter!(DUPLICATE_COMMANDS, "queue" => queue.as_str(), "handling" => handling)
            .increment(0);
    }
    metrics::counter!(autobook_throttle::metric_definitions::RATE_LIMITER_UNAVAILABLE).increment(0);
}

pub fn describe() {
    describe_counter!(
        DUPLICATE_COMMANDS,
        "Duplicate commands, by queue and handling (replayed: answered from the provider-call ledger; in_flight: left to the owner; waiting: a retried command whose call is still claimed, retried again)."
    );
    describe_counter!(
        DEFERRED_STEPS,
        "Money-moving calls not made because the flags denied them (answered step.deferred), by step and reason."
    );
    describe_counter!(
        GAVE_UP_COMMANDS,
        "Commands still unresolved when their retries ran out, answered step.outcome_unknown so the saga asks again, by queue."
    );
    describe_counter!(
        PROVIDER_REQUESTS,
        Unit::Count,
        "Provider HTTP requests by provider, operation (endpoint), status class and outcome."
    );
    describe_counter!(
        CALLS_PRUNED,
        "Completed provider calls deleted from the ledger past their window."
    );
    describe_histogram!(
        PROVIDER_REQUEST_SECONDS,
        Unit::Seconds,
        "Time from sending a provider request to having its whole answer, by provider, operation and outcome."
    );
}
