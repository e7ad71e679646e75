//! Step deadlines: no step waits forever for a worker's reply.
//!
//! Every command sent to a worker must be answered within its step's
//! deadline ([`StepDeadlines`]), set well above what the worker may take
//! (the provider's timeout times its retries, and the broker's retry
//! schedule). A command lost on the way (a purged queue, a dead-lettered
//! message), a reply lost on the way back, or a worker gone silent all end
//! the same way: the deadline passes and the saga sends the same command
//! again, under the same key, so the worker replays its stored reply or
//! takes the call over and looks first. After `max_step_resends` re-sends
//! the saga is `stuck`, visible and alerting, never silent.
//!
//! The deadline is kept on the saga row beside the state (not as a timer
//! row), so the hot path pays one column, and the orchestrators' deadline
//! sweep turns the passed ones into `StepDeadline` timer events.

use std::time::Duration;

use autobook_contracts::{IdempotencyKey, MessageKind, Step};

use super::decision::{Decision, Effect};
use super::state::{Phase, Saga};

/// How long each kind of step may wait for its reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDeadlines {
    /// Search (an offer request can take a supplier minute or two).
    pub search: Duration,
    /// Money steps: authorize, capture, void, refund.
    pub payment: Duration,
    /// Airline steps: order, cancel.
    pub airline: Duration,
    /// Emails.
    pub notify: Duration,
}

impl StepDeadlines {
    /// The same deadline for every step.
    pub fn uniform(deadline: Duration) -> Self {
        StepDeadlines {
            search: deadline,
            payment: deadline,
            airline: deadline,
            notify: deadline,
        }
    }

    pub fn for_step(&self, step: Step) -> Duration {
        match step {
            Step::Search => self.search,
            Step::Authorize | Step::Capture | Step::Void | Step::Refund => self.payment,
            Step::Order | Step::Cancel => self.airline,
            Step::Notify | Step::NotifyCancellation => self.notify,
        }
    }
}

impl Default for StepDeadlines {
    /// Above the broker's whole retry schedule (1 s, 5 s, 30 s, 2 min,
    /// 10 min) so that a worker still retrying is not raced.
    fn default() -> Self {
        StepDeadlines::uniform(Duration::from_secs(15 * 60))
    }
}

/// What a decision does to the deadline stored with the saga.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadlineChange {
    /// A command was sent: its reply is due after this long.
    Set {
        key: IdempotencyKey,
        after: Duration,
    },
    /// Still waiting on the same command: the deadline stands.
    Keep,
    /// Nothing in flight (waiting on a timer, an operator, the traveller,
    /// or finished).
    Clear,
}

/// The command in flight while the saga is in `phase`: its key, if the
/// phase waits on a worker's reply. A phase waiting on a timer (an
/// unknown outcome's re-check, a watch), the flags or an operator has
/// none: its wait is durable already.
pub fn in_flight(phase: &Phase) -> Option<&IdempotencyKey> {
    match phase {
        Phase::Searching { key }
        | Phase::Authorizing { key, .. }
        | Phase::Ordering { key, .. }
        | Phase::Capturing { key, .. }
        | Phase::ReleasingHold { key, .. }
        | Phase::CancellingOrder { key, .. }
        | Phase::CancellingBooking { key, .. }
        | Phase::Refunding { key, .. }
        | Phase::Notifying { key, .. } => Some(key),
        Phase::Watching { .. }
        | Phase::Paused { .. }
        | Phase::OutcomeUnknown { .. }
        | Phase::Booked { .. }
        | Phase::Failed { .. }
        | Phase::Cancelled { .. }
        | Phase::Stuck { .. }
        | Phase::Aborted { .. } => None,
    }
}

/// The deadline after `decision`, taken on a saga that was `before`.
pub fn after(
    before: Option<&Saga>,
    decision: &Decision,
    deadlines: &StepDeadlines,
) -> DeadlineChange {
    let Some(key) = in_flight(&decision.saga.phase) else {
        return DeadlineChange::Clear;
    };
    let sent = decision.effects.iter().any(|effect| match effect {
        Effect::Send(message) => message.message_type().kind() == MessageKind::Command,
        Effect::Schedule { .. } => false,
    });
    let same_step = before.and_then(|saga| in_flight(&saga.phase)) == Some(key);
    if same_step && !sent {
        return DeadlineChange::Keep;
    }
    let step = key.step().unwrap_or(Step::Search);
    DeadlineChange::Set {
        key: key.clone(),
        after: deadlines.for_step(step),
    }
}
