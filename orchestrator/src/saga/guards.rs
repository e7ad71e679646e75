//! The checks a message passes before the transition table looks at it,
//! in this order (the first that fails answers):
//!
//! 1. [`not_started_twice`]: a trip request for a saga that exists is a
//!    duplicate (`AlreadyStarted`).
//! 2. [`timer_still_due`]: a timer of a saga automation is done with, or a
//!    commitment timer (offer, hold) of an earlier search round, is stale.
//! 3. [`answers_the_pending_step`]: a worker's reply, or a step's timer,
//!    must carry the key of the step the saga waits on; one for another
//!    step (an earlier round, a step left behind) is stale.
//!
//! Whether a reply's cause is one of our commands is checked earlier
//! still, by the executor ([`super::causation`]).

use autobook_contracts::events::TimerFired;
use autobook_contracts::{IdempotencyKey, Message, MessageKind};

use super::commitments;
use super::decision::DecideError;
use super::state::Saga;

/// Runs every check, in order.
pub fn check(saga: &Saga, message: &Message) -> Result<(), DecideError> {
    not_started_twice(message)?;
    timer_still_due(saga, message)?;
    answers_the_pending_step(saga, message)
}

/// A saga starts once: a second trip request for it is refused.
pub fn not_started_twice(message: &Message) -> Result<(), DecideError> {
    match message {
        Message::TripRequested(_) => Err(DecideError::AlreadyStarted),
        _ => Ok(()),
    }
}

/// A timer is stale once automation is done with the saga (finished or
/// stuck), and a commitment timer (an offer or hold running out) is stale
/// unless it belongs to the saga's current search round.
pub fn timer_still_due(saga: &Saga, message: &Message) -> Result<(), DecideError> {
    let Message::TimerFired(TimerFired { timer }) = message else {
        return Ok(());
    };
    let done = saga.phase.is_terminal();
    if done || (timer.watches_commitment() && !commitments::is_current(saga, timer)) {
        return Err(DecideError::StaleTimer {
            key: timer.idempotency_key().clone(),
            status: saga.phase.status(),
        });
    }
    Ok(())
}

/// A reply (or a step's timer) to a saga still at work must name the step
/// it waits on. Commitment timers name the step that made the commitment
/// and are matched by [`timer_still_due`] instead.
pub fn answers_the_pending_step(saga: &Saga, message: &Message) -> Result<(), DecideError> {
    if saga.phase.is_terminal() {
        return Ok(());
    }
    if let Message::TimerFired(TimerFired { timer }) = message
        && timer.watches_commitment()
    {
        return Ok(());
    }
    let Some(got) = reply_key(message) else {
        return Ok(());
    };
    if saga.phase.pending_key() == Some(got) {
        return Ok(());
    }
    Err(match message {
        Message::TimerFired(_) => DecideError::StaleTimer {
            key: got.clone(),
            status: saga.phase.status(),
        },
        _ => DecideError::StaleReply {
            expected: saga.phase.pending_key().cloned(),
            got: got.clone(),
        },
    })
}

/// The step key a worker reply (or a timer) refers to. Commands carry a
/// key too, but never reach the orchestrator legally.
fn reply_key(message: &Message) -> Option<&IdempotencyKey> {
    match message.message_type().kind() {
        MessageKind::Event => message.idempotency_key(),
        MessageKind::Command => None,
    }
}
