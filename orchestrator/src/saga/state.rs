//! The persisted state of one booking saga.
//!
//! A saga is the trip, the current search epoch and a [`Phase`]. Each phase
//! that waits on a worker holds the idempotency key of the command it sent,
//! so a reply is matched to its step and a retry reuses the key. The whole
//! value is stored as JSON in `sagas.state`.

use chrono::{DateTime, Utc};

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
    /// Times the current step's command was sent again because no reply
    /// came by its deadline.
    #[serde(default)]
    pub step_resends: u32,
    /// Searches started again because an offer expired or was repriced
    /// before it could be ordered (re-searches of a watched trip do not
    /// count: they are bounded by the deadline).
    #[serde(default)]
    pub reprices: u32,
    /// When the trip must no longer be booked (departure less a margin, the
    /// traveller's book-by date, or the longest watch), fixed at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// The cheapest offer any search returned for the trip, whatever its
    /// conditions (offers for another route or day do not count).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheapest_seen: Option<Money>,
    /// A search found nothing to book but offers within the conditions
    /// whose airline wants identity documents the trip does not carry:
    /// the failure notice says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity_documents_needed: bool,
    /// The traveller asked to cancel while a step was in flight: the saga
    /// unwinds as soon as that step answers.
    #[serde(default)]
    pub cancel_requested: bool,
    /// A payment intent Stripe reported canceled (its hold lapsed or was
    /// cancelled outside the system) while the saga still counted on it:
    /// whatever answers next treats that hold as gone. Never captured,
    /// never voided again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_hold: Option<String>,
    pub phase: Phase,
}

impl Saga {
    /// Whether the booking deadline has passed at `now`.
    pub fn past_deadline(&self, now: DateTime<Utc>) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }

    /// Whether `hold` is one Stripe reported canceled outside the system.
    pub fn has_lost(&self, hold: &Hold) -> bool {
        self.lost_hold.as_deref() == Some(hold.payment_intent_id.as_str())
    }
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
    Booked {
        booking: Box<Booking>,
    },
    Failed {
        reason: FailureReason,
    },
    /// Cancelled at the traveller's request; what was charged and refunded.
    Cancelled {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        booking_reference: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charged: Option<Money>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refunded: Option<Money>,
    },
}

/// What follows once a hold has been released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "next", rename_all = "snake_case")]
pub enum AfterRelease {
    /// The offer went away: search again (next epoch).
    Research,
    /// Give up and tell the traveller.
    Fail { reason: FailureReason },
    /// The traveller cancelled: tell them so.
    Cancelled,
}

/// Where the saga is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Phase {
    Searching {
        key: IdempotencyKey,
    },
    /// No offer met the trip's conditions: wait, then search again. `key`
    /// is the coming search's; a `research` timer (or, when the next search
    /// would fall after the deadline, a `deadline` timer) carries it.
    Watching {
        key: IdempotencyKey,
        next_search_at: DateTime<Utc>,
    },
    /// The flags deny the step `waiting` was about to take (kill switch,
    /// auto-booking disabled, flags unreadable). Nothing was done; a resume
    /// sends the same command again.
    Paused {
        waiting: Box<Phase>,
        reason: String,
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
    /// The traveller cancelled a booked trip: cancelling the airline
    /// order (Duffel's quote-then-confirm), which says what it refunds.
    CancellingBooking {
        key: IdempotencyKey,
        booking: Booking,
    },
    /// Giving the traveller back what the fare's conditions allow.
    Refunding {
        key: IdempotencyKey,
        booking: Booking,
        amount: Money,
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
    /// Terminal: cancelled by the traveller; nothing held, the order (if
    /// any) cancelled and what the fare allows refunded.
    Cancelled {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        booking_reference: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charged: Option<Money>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refunded: Option<Money>,
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
            Phase::Watching { .. } => "watching",
            Phase::Paused { .. } => "paused",
            Phase::CancellingBooking { .. } => "cancelling_booking",
            Phase::Refunding { .. } => "refunding",
            Phase::Cancelled { .. } => "cancelled",
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
        "watching",
        "paused",
        "authorizing",
        "ordering",
        "capturing",
        "releasing_hold",
        "cancelling_order",
        "cancelling_booking",
        "refunding",
        "notifying",
        "outcome_unknown",
        "booked",
        "failed",
        "cancelled",
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
                | Phase::Cancelled { .. }
                | Phase::Stuck { .. }
                | Phase::Aborted { .. }
        )
    }

    /// Waiting on something outside the system (a price, the flags), with
    /// no command in flight.
    pub fn is_waiting_outside(&self) -> bool {
        matches!(self, Phase::Watching { .. } | Phase::Paused { .. })
    }

    /// The key of the command this phase waits on, if it waits on one.
    pub fn pending_key(&self) -> Option<&IdempotencyKey> {
        match self {
            Phase::Searching { key }
            | Phase::Watching { key, .. }
            | Phase::CancellingBooking { key, .. }
            | Phase::Refunding { key, .. }
            | Phase::Authorizing { key, .. }
            | Phase::Ordering { key, .. }
            | Phase::Capturing { key, .. }
            | Phase::ReleasingHold { key, .. }
            | Phase::CancellingOrder { key, .. }
            | Phase::Notifying { key, .. } => Some(key),
            Phase::OutcomeUnknown { waiting, .. } | Phase::Paused { waiting, .. } => {
                waiting.pending_key()
            }
            Phase::Booked { .. }
            | Phase::Cancelled { .. }
            | Phase::Failed { .. }
            | Phase::Stuck { .. }
            | Phase::Aborted { .. } => None,
        }
    }

    /// What the phase holds at the providers: the hold and the order, if any.
    pub fn holdings(&self) -> (Option<Hold>, Option<OrderRef>) {
        match self {
            Phase::Ordering { hold, .. } | Phase::ReleasingHold { hold, .. } => {
                (Some(hold.clone()), None)
            }
            Phase::Capturing { hold, order, .. } | Phase::CancellingOrder { hold, order, .. } => {
                (Some(hold.clone()), Some(order.clone()))
            }
            Phase::OutcomeUnknown { waiting, .. } | Phase::Paused { waiting, .. } => {
                waiting.holdings()
            }
            Phase::Stuck { hold, order, .. } => (hold.clone(), order.clone()),
            Phase::CancellingBooking { booking, .. } | Phase::Refunding { booking, .. } => {
                (None, Some(booking.order.clone()))
            }
            Phase::Searching { .. }
            | Phase::Watching { .. }
            | Phase::Cancelled { .. }
            | Phase::Authorizing { .. }
            | Phase::Notifying { .. }
            | Phase::Booked { .. }
            | Phase::Failed { .. }
            | Phase::Aborted { .. } => (None, None),
        }
    }
}
