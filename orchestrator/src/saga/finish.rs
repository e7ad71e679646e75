//! Ending a saga (booked, failed or cancelled): tell the traveller, then
//! rest in a terminal phase. A failed email is recorded (`notified:
//! false`) and never undoes a booking. Or automation gives up: the saga is
//! stuck for an operator ([`stuck`]).

use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Money, Step};

use super::decision::{Decision, Effect};
use super::state::{Outcome, Phase, Saga};
use super::steps;

/// Nothing is held or ordered any more: tell the traveller why it failed.
pub fn fail(saga: &Saga, reason: FailureReason) -> Decision {
    let key = steps::key(saga, Step::Notify);
    let command = steps::failure_notice(saga, key.clone(), &reason);
    Decision::new(
        saga,
        Phase::Notifying {
            key,
            outcome: Outcome::Failed { reason },
        },
        vec![Effect::Send(command.into())],
    )
}

/// The notification step answered: settle into the terminal phase.
pub fn notified(saga: &Saga, outcome: &Outcome, notified: bool) -> Decision {
    let phase = match outcome {
        Outcome::Booked { booking } => Phase::Booked {
            booking: booking.as_ref().clone(),
            notified,
        },
        Outcome::Failed { reason } => Phase::Failed {
            reason: reason.clone(),
            notified,
        },
        Outcome::Cancelled {
            booking_reference,
            charged,
            refunded,
        } => Phase::Cancelled {
            booking_reference: booking_reference.clone(),
            charged: *charged,
            refunded: *refunded,
            notified,
        },
    };
    Decision::new(saga, phase, Vec::new())
}

/// The trip is cancelled and nothing is held any more: tell the traveller
/// what was charged and what goes back.
pub fn cancelled(
    saga: &Saga,
    booking_reference: Option<String>,
    charged: Option<Money>,
    refunded: Option<Money>,
) -> Decision {
    let outcome = Outcome::Cancelled {
        booking_reference,
        charged,
        refunded,
    };
    let key = steps::key(saga, Step::NotifyCancellation);
    let command = steps::cancellation_notice(saga, key.clone(), &outcome);
    Decision::new(
        saga,
        Phase::Notifying { key, outcome },
        vec![Effect::Send(command.into())],
    )
}

/// Automation gives up: park the saga for an operator. `resume` is the
/// phase `ops saga retry` goes back to.
pub fn stuck(saga: &Saga, problem: String, resume: &Phase) -> Decision {
    let (hold, order) = resume.holdings();
    Decision::new(
        saga,
        Phase::Stuck {
            problem,
            hold,
            order,
            resume: Some(Box::new(resume.clone())),
        },
        Vec::new(),
    )
}
