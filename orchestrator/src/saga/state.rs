//! The persisted state of one booking saga.
//!
//! A saga is the trip, the current search epoch and a [`Phase`]. Each phase
//! that waits on a worker holds the idempotency key of the command it sent,
//! so a reply is matched to its step and a retry reuses the key. The whole
//! value is stored as JSON in `sagas.state`.

use autobook_contracts::IdempotencyKey;
use autobook_contracts::money::Money;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::offer::OfferSummary;
use autobook_contracts::trip::TripRequest;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Saga {
    pub id: Uuid,
    pub trip: TripRequest,
    /// Search round, from 1. A re-search after an expired or repriced offer
    /// starts a new epoch, giving the new hold and order fresh keys.
    pub epoch: u32,
    /// Times the current step's unknown outcome has been re-checked.
    #[serde(default, alias = "order_rechecks")]
    pub rechecks: u32,
    /// Failed attempts of the current compensation (void, cancel).
    #[serde(default)]
    pub compensation_attempts: u32,
    pub phase: Phase,
}

/// Money held on the card (an uncaptured PaymentIntent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub payment_intent_id: String,
    pub amount: Money,
}

/// An airline order that exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRef {
    pub order_id: String,
    pub booking_reference: String,
    pub amount: Money,
}

/// A completed booking: ticketed and paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub order: OrderRef,
    pub payment_intent_id: String,
    pub captured: Money,
    pub offer: OfferSummary,
}

/// How a saga ends, before the traveller has been told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Booked { booking: Box<Booking> },
    Failed { reason: FailureReason },
}

/// What follows once a hold has been released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum AfterRelease {
    /// The offer went away: search again (next epoch).
    Research,
    /// Give up and tell the traveller.
    Fail { reason: FailureReason },
}

/// Where the saga is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Phase {
    Searching {
        key: IdempotencyKey,
    },
    Authorizing {
        key: IdempotencyKey,
        offer: OfferSummary,
    },
    Ordering {
        key: IdempotencyKey,
        offer: OfferSummary,
        hold: Hold,
    },
    Capturing {
        key: IdempotencyKey,
        offer: OfferSummary,
        hold: Hold,
        order: OrderRef,
    },
    /// Compensation: voiding the hold.
    ReleasingHold {
        key: IdempotencyKey,
        hold: Hold,
        then: AfterRelease,
    },
    /// Compensation: cancelling the order; the hold is released next.
    CancellingOrder {
        key: IdempotencyKey,
        hold: Hold,
        order: OrderRef,
        reason: FailureReason,
    },
    Notifying {
        key: IdempotencyKey,
        outcome: Outcome,
    },
    /// Terminal: booked, paid, ticketed.
    Booked {
        booking: Booking,
        notified: bool,
    },
    /// Terminal: not booked, nothing charged, nothing held.
    Failed {
        reason: FailureReason,
        notified: bool,
    },
    /// A provider call may or may not have taken effect. The saga waits,
    /// then sends the same command again; the worker looks the result up
    /// before acting. `waiting` is the phase that sent the command.
    OutcomeUnknown {
        waiting: Box<Phase>,
        detail: String,
    },
    /// Automation gave up: a compensation kept failing or an outcome could
    /// not be established. Waits for an operator (`ops saga retry|abort`);
    /// counted in a metric, alerts fire on it. `resume` is the phase a
    /// retry goes back to.
    #[serde(alias = "needs_attention")]
    Stuck {
        problem: String,
        hold: Option<Hold>,
        order: Option<OrderRef>,
        #[serde(default)]
        resume: Option<Box<Phase>>,
    },
    /// Terminal: an operator ended a stuck saga by hand.
    Aborted {
        problem: String,
        operator: String,
        reason: String,
    },
}

impl Phase {
    /// The status column value.
    pub fn status(&self) -> &'static str {
        match self {
            Phase::Searching { .. } => "searching",
            Phase::Authorizing { .. } => "authorizing",
            Phase::Ordering { .. } => "ordering",
            Phase::Capturing { .. } => "capturing",
            Phase::ReleasingHold { .. } => "releasing_hold",
            Phase::CancellingOrder { .. } => "cancelling_order",
            Phase::Notifying { .. } => "notifying",
            Phase::Booked { .. } => "booked",
            Phase::Failed { .. } => "failed",
            Phase::OutcomeUnknown { .. } => "outcome_unknown",
            Phase::Stuck { .. } => "stuck",
            Phase::Aborted { .. } => "aborted",
        }
    }

    /// Every status a saga can be in.
    pub const STATUSES: &'static [&'static str] = &[
        "searching",
        "authorizing",
        "ordering",
        "capturing",
        "releasing_hold",
        "cancelling_order",
        "notifying",
        "outcome_unknown",
        "booked",
        "failed",
        "stuck",
        "aborted",
    ];

    /// Automation is done with the saga: no worker reply or timer moves it.
    /// Only an operator moves a stuck saga on.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Phase::Booked { .. }
                | Phase::Failed { .. }
                | Phase::Stuck { .. }
                | Phase::Aborted { .. }
        )
    }

    /// The key of the command this phase waits on, if it waits on one.
    pub fn pending_key(&self) -> Option<&IdempotencyKey> {
        match self {
            Phase::Searching { key }
            | Phase::Authorizing { key, .. }
            | Phase::Ordering { key, .. }
            | Phase::Capturing { key, .. }
            | Phase::ReleasingHold { key, .. }
            | Phase::CancellingOrder { key, .. }
            | Phase::Notifying { key, .. } => Some(key),
            Phase::OutcomeUnknown { waiting, .. } => waiting.pending_key(),
            Phase::Booked { .. }
            | Phase::Failed { .. }
            | Phase::Stuck { .. }
            | Phase::Aborted { .. } => None,
        }
    }
}
