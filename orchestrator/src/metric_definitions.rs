//! Metric names of the orchestrator, with their descriptions.

pub const SAGA_TRANSITIONS: &str = "autobook_saga_transitions_total";
pub const SAGAS_FINISHED: &str = "autobook_sagas_finished_total";
pub const SAGAS_STUCK: &str = "autobook_sagas_stuck_total";
pub const SAGAS_BY_STATUS: &str = "autobook_sagas";
pub const SAGA_EVENTS_REJECTED: &str = "autobook_saga_events_rejected_total";
pub const OUTBOX_PUBLISHED: &str = "autobook_outbox_published_total";
pub const OUTBOX_RELAY_ERRORS: &str = "autobook_outbox_relay_errors_total";
pub const TIMERS_FIRED: &str = "autobook_timers_fired_total";
pub const DEAD_LETTERS_ARCHIVED: &str = "autobook_dead_letters_archived_total";

/// Registers descriptions with the installed recorder.
pub fn describe() {
    use metrics::describe_counter;
    describe_counter!(SAGA_TRANSITIONS, "Saga transitions, by from and to status.");
    describe_counter!(
        SAGAS_FINISHED,
        "Sagas that reached a terminal status (booked, failed, stuck, aborted)."
    );
    describe_counter!(
        SAGAS_STUCK,
        "Sagas that became stuck and wait for an operator (ops saga retry|abort)."
    );
    metrics::describe_gauge!(
        SAGAS_BY_STATUS,
        "Sagas currently in each status that needs watching (stuck, outcome_unknown)."
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
    describe_counter!(
        DEAD_LETTERS_ARCHIVED,
        "Dead letters copied into the dead_letters table, by the role of their queue."
    );
}
