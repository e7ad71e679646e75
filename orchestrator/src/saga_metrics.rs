//! What a committed saga transition means for the metrics: a pure mapping
//! from (previous phase, message, new phase, timings) to observations with
//! bounded labels, and the one function that records them.
//!
//! - a saga without a previous phase was started;
//! - leaving a status for another ends a step: its time in that status;
//! - reaching a terminal status from an open one ends the saga: its time
//!   since the trip request;
//! - entering a compensation from outside it starts that compensation; a
//!   refused void or cancellation is a failed compensation attempt;
//! - becoming stuck is counted by the step the saga was stuck on;
//! - offers of a search that do not answer the trip are counted by what
//!   was wrong ([`mismatched_offers`]).

use std::time::Duration;

use autobook_contracts::Message;
use autobook_contracts::trip::TripRequest;

use crate::metric_definitions::compensation::{CANCEL_ORDER, VOID_HOLD};
use crate::metric_definitions::{
    COMPENSATIONS_FAILED, COMPENSATIONS_STARTED, OFFERS_MISMATCHED, SAGA_SECONDS,
    SAGA_STEP_SECONDS, SAGA_TRANSITIONS, SAGAS_FINISHED, SAGAS_STARTED, SAGAS_STUCK,
    STATUS_ENTERED,
};
use crate::saga::Phase;
use crate::saga::offer_match::{self, Mismatch};

/// How long the saga had been in its status, and in existence, when the
/// message was applied (measured by the database clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    pub in_status: Duration,
    pub since_start: Duration,
}

/// One thing to record.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    Started,
    Transition {
        from: &'static str,
        to: &'static str,
    },
    StepDone {
        step: &'static str,
        took: Duration,
    },
    Finished {
        status: &'static str,
        took: Option<Duration>,
    },
    CompensationStarted(&'static str),
    CompensationFailed(&'static str),
    Stuck {
        step: &'static str,
    },
    /// `count` offers of one search did not answer the trip.
    OffersMismatched {
        mismatch: &'static str,
        count: u64,
    },
}

/// What applying `message` to a saga in `from` (None: a new saga), which
/// moved it to `to`, means for the metrics.
pub fn observe(from: Option<(&Phase, Timings)>, message: &Message, to: &Phase) -> Vec<Observation> {
    let mut seen = Vec::new();
    let to_status = to.status();
    let Some((from, timings)) = from else {
        seen.push(Observation::Started);
        seen.push(Observation::Transition {
            from: "new",
            to: to_status,
        });
        return seen;
    };
    let from_status = from.status();
    seen.push(Observation::Transition {
        from: from_status,
        to: to_status,
    });
    if from_status != to_status {
        seen.push(Observation::StepDone {
            step: from_status,
            took: timings.in_status,
        });
    }
    if to.is_terminal() {
        let took = (!from.is_terminal()).then_some(timings.since_start);
        seen.push(Observation::Finished {
            status: to_status,
            took,
        });
    }
    if let Some(compensation) = compensation(to)
        && compensation_of_open(from) != Some(compensation)
    {
        seen.push(Observation::CompensationStarted(compensation));
    }
    match message {
        Message::VoidFailed(_) => seen.push(Observation::CompensationFailed(VOID_HOLD)),
        Message::CancelFailed(_) => seen.push(Observation::CompensationFailed(CANCEL_ORDER)),
        _ => {}
    }
    if let Phase::Stuck { resume, .. } = to
        && !matches!(from, Phase::Stuck { .. })
    {
        let step = resume
            .as_deref()
            .map_or("unknown", |p| waited_on(p).status());
        seen.push(Observation::Stuck { step });
    }
    seen
}

/// The offers of a search (`message`) that do not answer `trip`, one
/// observation per kind of mismatch found. Nothing for other messages.
pub fn mismatched_offers(trip: &TripRequest, message: &Message) -> Vec<Observation> {
    let Message::OffersFound(found) = message else {
        return Vec::new();
    };
    let mismatches: Vec<Mismatch> = found
        .offers
        .iter()
        .filter_map(|offer| offer_match::check(offer, trip).err())
        .collect();
    Mismatch::ALL
        .iter()
        .filter_map(|kind| {
            let count = mismatches.iter().filter(|m| *m == kind).count() as u64;
            (count > 0).then_some(Observation::OffersMismatched {
                mismatch: kind.as_str(),
                count,
            })
        })
        .collect()
}

/// The compensation a phase carries out (or waits on the outcome of).
fn compensation(phase: &Phase) -> Option<&'static str> {
    match phase {
        Phase::ReleasingHold { .. } => Some(VOID_HOLD),
        Phase::CancellingOrder { .. } => Some(CANCEL_ORDER),
        Phase::OutcomeUnknown { waiting, .. } => compensation(waiting),
        _ => None,
    }
}

/// The compensation already under way in `phase`; a stuck saga's resumed
/// compensation (an operator retry) is the same one, not a new start.
fn compensation_of_open(phase: &Phase) -> Option<&'static str> {
    match phase {
        Phase::Stuck {
            resume: Some(resume),
            ..
        } => compensation(resume),
        phase => compensation(phase),
    }
}

/// The step a phase waits on, looking through an unknown outcome.
fn waited_on(phase: &Phase) -> &Phase {
    match phase {
        Phase::OutcomeUnknown { waiting, .. } => waited_on(waiting),
        phase => phase,
    }
}

/// Records the observations with the installed recorder.
pub fn record(observations: &[Observation]) {
    for observation in observations {
        match observation {
            Observation::Started => metrics::counter!(SAGAS_STARTED).increment(1),
            Observation::Transition { from, to } => {
                metrics::counter!(SAGA_TRANSITIONS, "from" => *from, "to" => *to).increment(1);
                metrics::counter!(STATUS_ENTERED, "status" => *to).increment(1);
            }
            Observation::StepDone { step, took } => {
                metrics::histogram!(SAGA_STEP_SECONDS, "step" => *step).record(took.as_secs_f64());
            }
            Observation::Finished { status, took } => {
                metrics::counter!(SAGAS_FINISHED, "status" => *status).increment(1);
                if let Some(took) = took {
                    metrics::histogram!(SAGA_SECONDS, "outcome" => *status)
                        .record(took.as_secs_f64());
                }
            }
            Observation::CompensationStarted(compensation) => {
                metrics::counter!(COMPENSATIONS_STARTED, "compensation" => *compensation)
                    .increment(1);
            }
            Observation::CompensationFailed(compensation) => {
                metrics::counter!(COMPENSATIONS_FAILED, "compensation" => *compensation)
                    .increment(1);
            }
            Observation::Stuck { step } => {
                metrics::counter!(SAGAS_STUCK, "step" => *step).increment(1);
            }
            Observation::OffersMismatched { mismatch, count } => {
                tracing::warn!(
                    mismatch = *mismatch,
                    count = *count,
                    "offers left out: they do not answer the trip they were searched for"
                );
                metrics::counter!(OFFERS_MISMATCHED, "mismatch" => *mismatch).increment(*count);
            }
        }
    }
}
