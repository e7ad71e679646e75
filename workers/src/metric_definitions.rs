//! Metric names of the workers, with their descriptions. Provider request
//! metrics are described by `providers::telemetry`.

pub const DUPLICATE_COMMANDS: &str = "autobook_worker_duplicate_commands_total";
pub const THROTTLED_CALLS: &str = "autobook_provider_throttled_total";
pub const RATE_LIMITER_UNAVAILABLE: &str = "autobook_rate_limiter_unavailable_total";

/// Registers descriptions with the installed recorder.
pub fn describe() {
    use metrics::describe_counter;
    describe_counter!(
        DUPLICATE_COMMANDS,
        "Duplicate commands, by queue and handling (replayed: stored reply sent again; in_flight: left to the owner)."
    );
    describe_counter!(
        THROTTLED_CALLS,
        "Provider calls that waited for the shared rate limit, by provider."
    );
    describe_counter!(
        RATE_LIMITER_UNAVAILABLE,
        "Provider calls made without the rate limiter because Redis was unreachable."
    );
}
