//! Metric names of the provider rate limiter, with their descriptions.
//!
//! Labels are bounded: `provider` is the name of a limited kind of call
//! ([`crate::Limited::label`]: duffel, stripe or email).

use metrics::describe_counter;

pub const THROTTLED_CALLS: &str = "autobook_provider_throttled_total";
pub const RATE_LIMITER_UNAVAILABLE: &str = "autobook_rate_limiter_unavailable_total";

/// Every counter this crate records.
pub const COUNTERS: &[&str] = &[THROTTLED_CALLS, RATE_LIMITER_UNAVAILABLE];
/// Every gauge this crate records.
pub const GAUGES: &[&str] = &[];
/// Every histogram this crate records.
pub const HISTOGRAMS: &[&str] = &[];

/// Registers descriptions with the installed recorder.
pub fn describe() {
    describe_counter!(
        THROTTLED_CALLS,
        "Provider calls that waited for a rate-limit token, by provider."
    );
    describe_counter!(
        RATE_LIMITER_UNAVAILABLE,
        "Provider calls limited by the per-process fallback bucket because Redis was unreachable."
    );
}
