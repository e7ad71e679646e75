//! Starting a saga for a new trip request: validate it, fix its booking
//! deadline, then search (or pause before searching when the flags deny).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use autobook_contracts::trip::{TripRequest, TripValidationError};
use autobook_contracts::{IdempotencyKey, Step};

use super::decision::{Decision, Effect};
use super::pausing;
use super::policy::Policy;
use super::state::{Phase, Saga};
use super::steps;

/// What the flags say about a trip as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Auto-booking may proceed.
    Open,
    /// The flags deny it (the reason's code): the saga starts paused.
    Paused { reason: String },
}

/// Starts a saga for a new trip request: validate, fix the deadline, then
/// search (or pause before searching when the flags deny).
pub fn start(
    saga_id: Uuid,
    trip: TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
    admission: &Admission,
) -> Result<Decision, TripValidationError> {
    trip.validate(now)?;
    let key = IdempotencyKey::derive(saga_id, Step::Search, 1);
    let margin = chrono::Duration::from_std(policy.deadline_margin).unwrap_or_default();
    let longest_watch = policy
        .watch
        .as_ref()
        .and_then(|watch| watch.max_watch)
        .and_then(|max| chrono::Duration::from_std(max).ok())
        .map(|max| now + max);
    let deadline = trip
        .booking_deadline(margin)
        .map(|deadline| deadline.at())
        .map(|at| longest_watch.map_or(at, |longest| at.min(longest)));
    let saga = Saga {
        id: saga_id,
        trip,
        epoch: 1,
        rechecks: 0,
        compensation_attempts: 0,
        step_resends: 0,
        reprices: 0,
        deadline,
        cheapest_seen: None,
        identity_documents_needed: false,
        cancel_requested: false,
        lost_hold: None,
        phase: Phase::Searching { key: key.clone() },
    };
    if let Admission::Paused { reason } = admission {
        return Ok(pausing::pause(&saga, &saga.phase, reason, now));
    }
    let command = steps::search(&saga.trip, key);
    Ok(Decision {
        saga,
        effects: vec![Effect::Send(command.into())],
    })
}
