//! Metric names of the broker layer, with their descriptions and units.
//!
//! Labels are bounded: `queue` is a consumer role (orchestrator, search,
//! payment, order, notify), `kind` a queue kind (work, retry, dead_letter),
//! `code` a stable error code, `message_type` a wire message type.

pub const MESSAGES_CONSUMED: &str = "autobook_messages_consumed_total";
pub const MESSAGE_HANDLING_SECONDS: &str = "autobook_message_handling_seconds";
pub const MESSAGES_DEAD_LETTERED: &str = "autobook_messages_dead_lettered_total";
pub const MESSAGES_RETRIED: &str = "autobook_messages_retried_total";
pub const MESSAGES_PUBLISHED: &str = "autobook_messages_published_total";
pub const PUBLISH_FAILURES: &str = "autobook_publish_failures_total";
pub const QUEUE_MESSAGES_READY: &str = "autobook_queue_messages_ready";
pub const QUEUE_CONSUMERS: &str = "autobook_queue_consumers";

/// Every counter this crate records.
pub const COUNTERS: &[&str] = &[
    MESSAGES_CONSUMED,
    MESSAGES_DEAD_LETTERED,
    MESSAGES_RETRIED,
    MESSAGES_PUBLISHED,
    PUBLISH_FAILURES,
];
/// Every gauge this crate records.
pub const GAUGES: &[&str] = &[QUEUE_MESSAGES_READY, QUEUE_CONSUMERS];
/// Every histogram this crate records.
pub const HISTOGRAMS: &[&str] = &[MESSAGE_HANDLING_SECONDS];

/// Registers descriptions and units with the installed recorder.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
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
        "Publishes that were nacked, unroutable or lost with their channel, by message type."
    );
    describe_gauge!(
        QUEUE_MESSAGES_READY,
        Unit::Count,
        "Messages waiting in a queue (consumer lag), by queue and kind (work, retry, dead_letter); sampled periodically."
    );
    describe_gauge!(
        QUEUE_CONSUMERS,
        Unit::Count,
        "Consumers attached to a work queue, by queue; sampled periodically."
    );
}
