//! Metric names of the gateway, with their descriptions and units.
//!
//! Labels are bounded: `method` an HTTP method, `route` a route template of
//! the route table (or `unmatched`), `status` an HTTP status code. No user
//! ids, no trip ids, no personal data.

use metrics::{Unit, describe_counter, describe_histogram};

pub const REQUESTS: &str = "autobook_gateway_requests_total";
pub const REQUEST_SECONDS: &str = "autobook_gateway_request_duration_seconds";

/// Every counter this module records.
pub const COUNTERS: &[&str] = &[REQUESTS];
/// Every gauge this module records.
pub const GAUGES: &[&str] = &[];
/// Every histogram this module records.
pub const HISTOGRAMS: &[&str] = &[REQUEST_SECONDS];

/// Registers descriptions and units with the installed recorder.
pub fn describe() {
    describe_counter!(
        REQUESTS,
        "Gateway requests answered, by method, route template and status."
    );
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Time to answer a gateway request, by method and route template."
    );
}
