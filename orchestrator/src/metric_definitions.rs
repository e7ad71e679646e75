//! Metric names of the orchestrator, with their descriptions and units.
//!
//! Labels are bounded: `status`, `from`, `to` and `step` are saga statuses
//! (`Phase::STATUSES`), `compensation` is `void_hold` or `cancel_order`,
//! `mismatch` is `route`, `date` or `slices`,
//! `code` a stable error code, `message_type` a wire message type, `queue`
//! a consumer role. No saga ids, no personal data.

use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};

pub const SAGAS_STARTED: &str = "autobook_sagas_started_total";
pub const SAGA_TRANSITIONS: &str = "autobook_saga_transitions_total";
pub const STATUS_ENTERED: &str = "autobook_saga_status_entered_total";
pub const SAGAS_FINISHED: &str = "autobook_sagas_finished_total";
pub const SAGAS_STUCK: &str = "autobook_sagas_stuck_total";
pub const SAGAS_BY_STATUS: &str = "autobook_sagas";
pub const SAGA_STEP_SECONDS: &str = "autobook_saga_step_duration_seconds";
pub const SAGA_SECONDS: &str = "autobook_saga_duration_seconds";
pub const COMPENSATIONS_STARTED: &str = "autobook_compensations_started_total";
pub const COMPENSATIONS_FAILED: &str = "autobook_compensations_failed_total";
pub const OFFERS_MISMATCHED: &str = "autobook_offers_mismatched_total";
pub const SAGA_EVENTS_REJECTED: &str = "autobook_saga_events_rejected_total";
pub const INBOX_DUPLICATES: &str = "autobook_inbox_duplicates_total";
pub const OUTBOX_PUBLISHED: &str = "autobook_outbox_published_total";
pub const OUTBOX_RELAY_ERRORS: &str = "autobook_outbox_relay_errors_total";
pub const OUTBOX_PUBLISH_DELAY_SECONDS: &str = "autobook_outbox_publish_delay_seconds";
pub const OUTBOX_BACKLOG: &str = "autobook_outbox_backlog";
pub const OUTBOX_OLDEST_AGE_SECONDS: &str = "autobook_outbox_oldest_age_seconds";
pub const TIMERS_FIRED: &str = "autobook_timers_fired_total";
pub const STEP_DEADLINES_PASSED: &str = "autobook_step_deadlines_passed_total";
pub const SAGAS_RESUMED: &str = "autobook_sagas_resume_requested_total";
pub const DEAD_LETTERS_ARCHIVED: &str = "autobook_dead_letters_archived_total";
pub const DEAD_LETTERS_PENDING: &str = "autobook_dead_letters_pending";
pub const SAMPLER_ERRORS: &str = "autobook_metrics_sampler_errors_total";
pub const ROWS_PRUNED: &str = "autobook_rows_pruned_total";

/// Values of the `compensation` label.
pub mod compensation {
    pub const VOID_HOLD: &str = "void_hold";
    pub const CANCEL_ORDER: &str = "cancel_order";
    pub const ALL: &[&str] = &[VOID_HOLD, CANCEL_ORDER];
}

/// Every counter this crate records.
pub const COUNTERS: &[&str] = &[
    SAGAS_STARTED,
    SAGA_TRANSITIONS,
    STATUS_ENTERED,
    SAGAS_FINISHED,
    SAGAS_STUCK,
    COMPENSATIONS_STARTED,
    COMPENSATIONS_FAILED,
    OFFERS_MISMATCHED,
    SAGA_EVENTS_REJECTED,
    INBOX_DUPLICATES,
    OUTBOX_PUBLISHED,
    OUTBOX_RELAY_ERRORS,
    TIMERS_FIRED,
    STEP_DEADLINES_PASSED,
    SAGAS_RESUMED,
    DEAD_LETTERS_ARCHIVED,
    SAMPLER_ERRORS,
    ROWS_PRUNED,
];
/// Every gauge this crate records.
pub const GAUGES: &[&str] = &[
    SAGAS_BY_STATUS,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE_SECONDS,
    DEAD_LETTERS_PENDING,
];
/// Every histogram this crate records.
pub const HISTOGRAMS: &[&str] = &[
    SAGA_STEP_SECONDS,
    SAGA_SECONDS,
    OUTBOX_PUBLISH_DELAY_SECONDS,
];

/// Registers descriptions and units with the installed recorder.
pub fn describe() {
    describe_sagas();
    describe_outbox();
    describe_counter!(TIMERS_FIRED, "Durable saga timers fired.");
    describe_counter!(
        STEP_DEADLINES_PASSED,
        "Steps whose worker reply did not come by the step's deadline (the command is sent again, or the saga is stuck), by step."
    );
    describe_counter!(
        SAGAS_RESUMED,
        "Paused sagas asked to resume because the flags allow their user again."
    );
    describe_counter!(
        DEAD_LETTERS_ARCHIVED,
        "Dead letters copied into the dead_letters table, by the role of their queue."
    );
    describe_gauge!(
        DEAD_LETTERS_PENDING,
        Unit::Count,
        "Archived dead letters not yet replayed, by the role of their queue; sampled periodically."
    );
    describe_counter!(
        ROWS_PRUNED,
        "Bookkeeping rows deleted past their window, by table (outbox, inbox)."
    );
    describe_counter!(
        SAMPLER_ERRORS,
        "Rounds of the periodic gauge sampler that failed (database or broker unavailable)."
    );
}

fn describe_sagas() {
    describe_counter!(SAGAS_STARTED, "Sagas started by a valid trip request.");
    describe_counter!(SAGA_TRANSITIONS, "Saga transitions, by from and to status.");
    describe_counter!(
        STATUS_ENTERED,
        "Saga transitions into each status (a step sent again counts again), every status present from the start."
    );
    describe_counter!(
        SAGAS_FINISHED,
        "Sagas that reached a terminal status, by status (booked, failed, stuck, aborted)."
    );
    describe_counter!(
        SAGAS_STUCK,
        "Sagas that became stuck and wait for an operator, by the step they were stuck on."
    );
    describe_gauge!(
        SAGAS_BY_STATUS,
        Unit::Count,
        "Sagas currently in each open status, and stuck ones; sampled periodically."
    );
    describe_histogram!(
        SAGA_STEP_SECONDS,
        Unit::Seconds,
        "Time a saga spent in a status before moving to another, by step (the status left)."
    );
    describe_histogram!(
        SAGA_SECONDS,
        Unit::Seconds,
        "Time from the trip request starting the saga to a terminal status, by outcome."
    );
    describe_counter!(
        COMPENSATIONS_STARTED,
        "Compensations begun, by compensation (void_hold, cancel_order)."
    );
    describe_counter!(
        COMPENSATIONS_FAILED,
        "Failed compensation attempts (void or cancellation refused), by compensation."
    );
    describe_counter!(
        OFFERS_MISMATCHED,
        "Offers left out because they do not answer the trip they were searched for, by mismatch (route, date, slices)."
    );
    describe_counter!(
        SAGA_EVENTS_REJECTED,
        "Events the orchestrator refused (dead-lettered) or ignored as stale, by error code."
    );
    describe_counter!(
        INBOX_DUPLICATES,
        "Redelivered or duplicated events stopped by the inbox, by message type."
    );
}

fn describe_outbox() {
    describe_counter!(
        OUTBOX_PUBLISHED,
        "Outbox rows published with a broker confirm."
    );
    describe_counter!(
        OUTBOX_RELAY_ERRORS,
        "Failed outbox relay rounds (database or broker unavailable)."
    );
    describe_histogram!(
        OUTBOX_PUBLISH_DELAY_SECONDS,
        Unit::Seconds,
        "Time from an outbox row's commit to its confirmed publish."
    );
    describe_gauge!(
        OUTBOX_BACKLOG,
        Unit::Count,
        "Outbox rows not yet published; sampled periodically."
    );
    describe_gauge!(
        OUTBOX_OLDEST_AGE_SECONDS,
        Unit::Seconds,
        "Age of the oldest unpublished outbox row (0 when none); sampled periodically."
    );
}

/// The terminal statuses, for series that should exist from the start.
const TERMINAL_STATUSES: &[&str] = &["booked", "failed", "stuck", "aborted"];

/// The steps a saga can be stuck on (`step` of [`SAGAS_STUCK`]), and
/// `unknown` when its record names none.
const STUCK_STEPS: &[&str] = &[
    "searching",
    "authorizing",
    "ordering",
    "capturing",
    "releasing_hold",
    "cancelling_order",
    "cancelling_booking",
    "refunding",
    "notifying",
    "unknown",
];

/// Creates the orchestrator's counters at zero, so that rates and alerts
/// see a series before its first increment. Call when an orchestrator starts.
pub fn register_series() {
    metrics::counter!(SAGAS_STARTED).increment(0);
    for status in crate::saga::Phase::STATUSES {
        metrics::counter!(STATUS_ENTERED, "status" => *status).increment(0);
    }
    for step in STUCK_STEPS {
        metrics::counter!(SAGAS_STUCK, "step" => *step).increment(0);
    }
    for status in TERMINAL_STATUSES {
        metrics::counter!(SAGAS_FINISHED, "status" => *status).increment(0);
    }
    for label in compensation::ALL {
        metrics::counter!(COMPENSATIONS_STARTED, "compensation" => *label).increment(0);
        metrics::counter!(COMPENSATIONS_FAILED, "compensation" => *label).increment(0);
    }
    for mismatch in crate::saga::offer_match::Mismatch::ALL {
        metrics::counter!(OFFERS_MISMATCHED, "mismatch" => mismatch.as_str()).increment(0);
    }
    metrics::counter!(OUTBOX_RELAY_ERRORS).increment(0);
    metrics::counter!(SAMPLER_ERRORS).increment(0);
    for message_type in autobook_contracts::QueueRole::Orchestrator.message_types() {
        metrics::counter!(INBOX_DUPLICATES, "message_type" => message_type.as_str()).increment(0);
    }
    for table in ["outbox", "inbox"] {
        metrics::counter!(ROWS_PRUNED, "table" => table).increment(0);
    }
}
