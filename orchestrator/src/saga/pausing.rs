//! Pausing for the flags, and resuming.
//!
//! A worker that finds the flags denying a money move (kill switch thrown,
//! auto-booking disabled for the user, flags unreadable) does nothing and
//! answers `step.deferred`; a trip arriving while the flags deny starts
//! paused before its search. A paused saga sends nothing and fails nothing.
//! When the flags allow its user again the orchestrator's resumer sends
//! `saga.resume_requested`, and the saga sends the same command again with
//! the same idempotency key, unless what it was about to do is no longer
//! possible: an offer that can no longer be ordered leads back to search
//! (after releasing any hold), and a deadline that passed while nothing was
//! held ends the trip.

use chrono::{DateTime, Utc};

use autobook_contracts::events::SagaTimer;

use super::decision::{Decision, Effect};
use super::policy::Policy;
use super::state::{Phase, Saga};
use super::{commitments, steps, watching};

/// Park `waiting` (a phase whose command was not carried out) until resumed.
/// While nothing is held, the booking deadline still ends the wait.
pub fn pause(saga: &Saga, waiting: &Phase, reason: &str, now: DateTime<Utc>) -> Decision {
    let mut effects = Vec::new();
    if let (Some(deadline), (None, None), Some(key)) =
        (saga.deadline, waiting.holdings(), waiting.pending_key())
    {
        effects.push(Effect::Schedule {
            timer: SagaTimer::Deadline {
                idempotency_key: key.clone(),
            },
            after: (deadline - now).to_std().unwrap_or_default(),
        });
    }
    Decision::new(
        saga,
        Phase::Paused {
            waiting: Box::new(waiting.clone()),
            reason: reason.to_owned(),
        },
        effects,
    )
}

/// The flags allow the saga again: carry on with the step it paused before.
pub fn resume(saga: &Saga, waiting: &Phase, now: DateTime<Utc>, policy: &Policy) -> Decision {
    let nothing_held = matches!(waiting.holdings(), (None, None));
    if nothing_held && saga.past_deadline(now) {
        return watching::deadline_passed(saga);
    }
    match waiting {
        Phase::Authorizing { offer, .. } if !commitments::still_orderable(offer, now, policy) => {
            commitments::search_again_or_give_up(saga, policy)
        }
        Phase::Ordering { offer, hold, .. }
            if !commitments::still_orderable(offer, now, policy) =>
        {
            commitments::release_for_new_search(saga, hold.clone(), policy)
        }
        _ => {
            let effects = steps::resend(saga, waiting)
                .map(Effect::Send)
                .into_iter()
                .collect();
            Decision::new(saga, waiting.clone(), effects)
        }
    }
}

/// The deadline came while paused with nothing held: end the trip.
pub fn deadline(saga: &Saga, waiting: &Phase) -> Option<Decision> {
    matches!(waiting.holdings(), (None, None)).then(|| watching::deadline_passed(saga))
}
