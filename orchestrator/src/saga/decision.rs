//! What a decision produces: the next saga and the effects the executor
//! carries out after committing it ([`Decision`], [`Effect`]), or why the
//! message cannot be applied ([`DecideError`]). A leaf: every transition
//! imports it, it imports nothing else of the saga but its state.

use std::time::Duration;

use autobook_contracts::events::SagaTimer;
use autobook_contracts::{IdempotencyKey, Message, MessageType};

use super::state::{Phase, Saga};

/// Something the executor must do after committing the new state.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Publish this message (through the outbox), caused by the handled one.
    Send(Message),
    /// Deliver `TimerFired { timer }` to this saga after the delay.
    Schedule { timer: SagaTimer, after: Duration },
}

/// The outcome of a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub saga: Saga,
    pub effects: Vec<Effect>,
}

impl Decision {
    pub(super) fn new(saga: &Saga, phase: Phase, effects: Vec<Effect>) -> Self {
        Decision {
            saga: Saga {
                phase,
                ..saga.clone()
            },
            effects,
        }
    }
}

/// Why a message cannot be applied. The saga is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecideError {
    #[error("{message_type} is not expected while the saga is {status}")]
    IllegalTransition {
        status: &'static str,
        message_type: MessageType,
    },
    /// The key the reply carries is not repeated: it is the sender's.
    #[error("the reply's idempotency_key does not match the pending step {expected:?}")]
    StaleReply {
        expected: Option<IdempotencyKey>,
        got: IdempotencyKey,
    },
    #[error("a saga with this id already exists")]
    AlreadyStarted,
    /// A timer for a step the saga has already moved past: harmless.
    #[error("timer for {key} is no longer due: the saga is {status}")]
    StaleTimer {
        key: IdempotencyKey,
        status: &'static str,
    },
    #[error("the stuck saga has no step to go back to")]
    NothingToRetry,
    /// A cancel for a saga that has already ended or is already unwinding:
    /// harmless.
    #[error("nothing to cancel: the saga is {status}")]
    NothingToCancel { status: &'static str },
    /// A resume for a saga that is not paused (resumed already): harmless.
    #[error("nothing to resume: the saga is {status}")]
    NotPaused { status: &'static str },
    /// A payment intent update that asks nothing of the saga (another
    /// status, an intent it does not count on, a loss it knows): harmless.
    /// What the update says is not repeated: it is the sender's.
    #[error("a payment intent update asks nothing of the saga while it is {status}")]
    IntentUpdateIgnored {
        payment_intent_id: String,
        intent_status: String,
        status: &'static str,
    },
}

impl DecideError {
    /// Every code [`code`](DecideError::code) gives (the metrics create a
    /// series for each at start-up).
    pub const CODES: &'static [&'static str] = &[
        "illegal_transition",
        "stale_reply",
        "saga_already_exists",
        "stale_timer",
        "nothing_to_retry",
        "nothing_to_cancel",
        "not_paused",
        "intent_update_ignored",
    ];

    /// A stable code for dead-letter headers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            DecideError::IllegalTransition { .. } => "illegal_transition",
            DecideError::StaleReply { .. } => "stale_reply",
            DecideError::AlreadyStarted => "saga_already_exists",
            DecideError::StaleTimer { .. } => "stale_timer",
            DecideError::NothingToRetry => "nothing_to_retry",
            DecideError::NothingToCancel { .. } => "nothing_to_cancel",
            DecideError::NotPaused { .. } => "not_paused",
            DecideError::IntentUpdateIgnored { .. } => "intent_update_ignored",
        }
    }

    /// Expected and harmless: acknowledged without change, never a dead
    /// letter (a timer for a step already left, a second cancel, a resume
    /// that lost a race with another, a payment intent update that asks
    /// nothing).
    pub fn is_harmless(&self) -> bool {
        matches!(
            self,
            DecideError::StaleTimer { .. }
                | DecideError::NothingToCancel { .. }
                | DecideError::NotPaused { .. }
                | DecideError::IntentUpdateIgnored { .. }
        )
    }
}
