//! Metric names of the sandbox, with their descriptions, so a sandbox run
//! as a process (`autobook sandbox` with `AUTOBOOK_OPS_ADDR`) can be
//! scraped like the roles.
//!
//! Labels are bounded: `provider` is `admin`, `duffel`, `stripe` or `email`
//! (the server), `status` an HTTP status class (`2xx` to `5xx`), `kind` an
//! injected fault's kind (as the ledger's `injected` names them).

use metrics::describe_counter;

pub const REQUESTS: &str = "autobook_sandbox_requests_total";
pub const FAULTS_INJECTED: &str = "autobook_sandbox_faults_injected_total";

/// Every counter this crate records.
pub const COUNTERS: &[&str] = &[REQUESTS, FAULTS_INJECTED];
/// Every gauge this crate records.
pub const GAUGES: &[&str] = &[];
/// Every histogram this crate records.
pub const HISTOGRAMS: &[&str] = &[];

/// Registers descriptions with the installed recorder.
pub fn describe() {
    describe_counter!(
        REQUESTS,
        "Requests the sandbox answered, by provider (server) and HTTP status class."
    );
    describe_counter!(
        FAULTS_INJECTED,
        "Faults the sandbox injected, by kind (rate_limited, timeout_after_effect, ...)."
    );
}

/// The class of an HTTP status (`2xx`, ...), a bounded label value.
pub(crate) fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}
