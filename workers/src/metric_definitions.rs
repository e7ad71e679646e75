//! Metric names of the workers, with their descriptions. Provider request
//! metrics are described by `providers::telemetry`.

pub const COMMANDS_HANDLED: &str = "autobook_worker_commands_total";
pub const DUPLICATE_COMMANDS: &str = "autobook_worker_duplicate_commands_total";

/// Registers descriptions with the installed recorder.
pub fn describe() {
    use metrics::describe_counter;
    describe_counter!(
        COMMANDS_HANDLED,
        "Commands handled by workers, by queue and outcome (ack, dead_letter, requeue)."
    );
    describe_counter!(
        DUPLICATE_COMMANDS,
        "Duplicate commands, by queue and handling (replayed: stored reply sent again; in_flight: left to the owner)."
    );
}
