//! Replies answer our commands: a worker's reply is taken only when the
//! message it names as its cause (`causation_id`) is a command this saga
//! sent for the step the reply answers.
//!
//! A saga may send a step's command several times (a re-check after an
//! unknown outcome, a compensation retry, a re-send past the step's
//! deadline, an operator's retry), each with a new message id, and a
//! worker may replay the reply it stored for an earlier one of them: every
//! command sent for the step is a valid cause. Anything else (no cause, a
//! message that is not one of our commands, a command of another step)
//! is refused before the decision is made, so a publisher that cannot read
//! our commands cannot answer them.
//!
//! Pure: the executor looks the cause up in its records and passes what it
//! found as a [`Cause`]; [`check`] judges it.

use autobook_contracts::{IdempotencyKey, Message, MessageType};

/// What the saga's records say about the message a reply names as its
/// cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The reply names no cause.
    Missing,
    /// The named message is not a command this saga sent.
    NotOurs,
    /// A command this saga sent for the step with this idempotency key.
    /// `None`: sent before the saga recorded its commands' keys, so for a
    /// step unknown.
    Sent { key: Option<String> },
}

/// Whether a message of this type answers a command a worker was sent,
/// and so must name one of the saga's commands as its cause. The
/// orchestrator's own messages (timers), an operator's and a traveller's
/// requests and provider webhooks answer no command: who may send them is
/// settled by the sender's broker identity, not here.
pub fn must_answer_a_command(message_type: MessageType) -> bool {
    use MessageType as T;
    match message_type {
        T::OffersFound
        | T::SearchFailed
        | T::PaymentAuthorized
        | T::PaymentDeclined
        | T::PaymentFailed
        | T::OrderCreated
        | T::OrderFailed
        | T::PaymentCaptured
        | T::CaptureFailed
        | T::HoldVoided
        | T::VoidFailed
        | T::OrderCancelled
        | T::CancelFailed
        | T::NotificationSent
        | T::NotificationFailed
        | T::PaymentRefunded
        | T::RefundFailed
        | T::StepOutcomeUnknown
        | T::StepDeferred => true,
        T::TripRequested
        | T::TimerFired
        | T::RetryRequested
        | T::AbortRequested
        | T::ResumeRequested
        | T::TripCancelRequested
        | T::PaymentIntentUpdated => false,
        // Commands never reach the orchestrator legally; the decision
        // refuses them.
        T::SearchOffers
        | T::AuthorizePayment
        | T::CreateOrder
        | T::CapturePayment
        | T::VoidHold
        | T::CancelOrder
        | T::SendNotification
        | T::RefundPayment => false,
    }
}

/// Why a reply was refused. Names the message type only: never a value
/// the message carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CauseError {
    #[error("{0} names no cause")]
    Missing(MessageType),
    #[error("{0} names as its cause no command this saga sent")]
    NotOurs(MessageType),
    #[error("{0} names as its cause a command this saga sent for another step")]
    OtherStep(MessageType),
}

impl CauseError {
    /// Every code [`code`](CauseError::code) gives.
    pub const CODES: &'static [&'static str] = &["unknown_cause", "mismatched_cause"];

    /// A stable code for dead-letter headers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            CauseError::Missing(_) | CauseError::NotOurs(_) => "unknown_cause",
            CauseError::OtherStep(_) => "mismatched_cause",
        }
    }
}

/// Accepts `message` only if it needs no cause or `cause` is a command of
/// the step it answers. Whether that step is the one the saga waits on is
/// the decision's to say (a stale reply).
pub fn check(message: &Message, cause: &Cause) -> Result<(), CauseError> {
    let message_type = message.message_type();
    if !must_answer_a_command(message_type) {
        return Ok(());
    }
    match cause {
        Cause::Missing => Err(CauseError::Missing(message_type)),
        Cause::NotOurs => Err(CauseError::NotOurs(message_type)),
        Cause::Sent { key: None } => Ok(()),
        Cause::Sent { key: Some(sent) }
            if message.idempotency_key().map(IdempotencyKey::as_str) == Some(sent.as_str()) =>
        {
            Ok(())
        }
        Cause::Sent { key: Some(_) } => Err(CauseError::OtherStep(message_type)),
    }
}
