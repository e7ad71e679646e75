//! Metric names of the orchestrator, with their descriptions.

pub const SAGA_TRANSITIONS: &str = "autobook_saga_transitions_total";
pub const SAGAS_FINISHED: &str = "autobook_sagas_finished_total";
pub const SAGA_EVENTS_REJECTED: &str = "autobook_saga_events_rejected_total";
pub const OUTBOX_PUBLISHED: &str = "autobook_outbox_published_total";
pub const OUTBOX_RELAY_ERRORS: &str = "autobook_outbox_relay_errors_total";
pub const TIMERS_FIRED: &str = "autobook_timers_fired_total";

/// Registers descriptions with the installed recorder.
pub fn describe() {
    use metrics::describe_counter;
    describe_counter!(SAGA_TRANSITIONS, "Saga transitions, by from and to status.");
    describe_counter!(
        SAGAS_FINISHED,
        "Sagas that reached a terminal status (booked, failed, needs_attention)."
    );
    describe_counter!(
        SAGA_EVENTS_REJECTED,
        "Events the orchestrator refused (dead-lettered), by error code."
    );
    describe_counter!(
        OUTBOX_PUBLISHED,
        "Outbox rows published with a broker confirm."
    );
    describe_counter!(
        OUTBOX_RELAY_ERRORS,
        "Failed outbox relay rounds (database or broker unavailable)."
    );
    describe_counter!(TIMERS_FIRED, "Durable saga timers fired.");
}
