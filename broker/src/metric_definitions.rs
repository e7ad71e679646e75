//! Metric names of the broker layer, with their descriptions.

pub const MESSAGES_CONSUMED: &str = "autobook_messages_consumed_total";
pub const MESSAGE_HANDLING_SECONDS: &str = "autobook_message_handling_seconds";
pub const MESSAGES_DEAD_LETTERED: &str = "autobook_messages_dead_lettered_total";
pub const MESSAGES_RETRIED: &str = "autobook_messages_retried_total";
pub const MESSAGES_PUBLISHED: &str = "autobook_messages_published_total";
pub const PUBLISH_FAILURES: &str = "autobook_publish_failures_total";

/// Registers descriptions and units with the installed recorder.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        MESSAGES_CONSUMED,
        "Deliveries handled, by queue and disposition (ack, dead_letter, retry)."
    );
    describe_histogram!(
        MESSAGE_HANDLING_SECONDS,
        Unit::Seconds,
        "Time from delivery to ack, by queue."
    );
    describe_counter!(
        MESSAGES_DEAD_LETTERED,
        "Messages moved to a dead-letter queue, by queue and error code."
    );
    describe_counter!(
        MESSAGES_RETRIED,
        "Messages sent through a retry queue after a transient failure, by queue."
    );
    describe_counter!(
        MESSAGES_PUBLISHED,
        "Messages confirmed by the broker, by message type."
    );
    describe_counter!(
        PUBLISH_FAILURES,
        "Publishes that were nacked, unroutable or lost with their channel."
    );
}
