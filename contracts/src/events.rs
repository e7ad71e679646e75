//! Events: what happened. Workers answer each command with one of these,
//! echoing the command's idempotency key so the orchestrator can tell a
//! reply to the current step from a stale one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::idempotency::{IdempotencyKey, Step};
use crate::money::Money;
use crate::offer::OfferSummary;

/// The search returned offers (possibly none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OffersFound {
    pub idempotency_key: IdempotencyKey,
    /// Duffel offer request id (orq_...).
    pub offer_request_id: String,
    pub offers: Vec<OfferSummary>,
}

/// The search could not be made (permanent provider error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchFailed {
    pub idempotency_key: IdempotencyKey,
    pub detail: String,
}

/// The hold is in place (PaymentIntent status requires_capture).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentAuthorized {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
    pub amount: Money,
}

/// The card was declined; no money is held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentDeclined {
    pub idempotency_key: IdempotencyKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent_id: Option<String>,
    /// Stripe decline code, e.g. "insufficient_funds".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<String>,
    pub detail: String,
}

/// The hold could not be placed for a reason other than a decline; no money is held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentFailed {
    pub idempotency_key: IdempotencyKey,
    pub detail: String,
}

/// The airline order exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderCreated {
    pub idempotency_key: IdempotencyKey,
    /// Duffel order id (ord_...).
    pub order_id: String,
    /// The airline's booking reference (PNR).
    pub booking_reference: String,
    pub amount: Money,
}

/// Why an order was not created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderFailureReason {
    /// The offer expired or sold out: search again.
    OfferExpired,
    /// The airline changed the price: search again.
    PriceChanged,
    /// The airline refused the order for good; no order exists.
    Permanent,
}

/// The airline order was not created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderFailed {
    pub idempotency_key: IdempotencyKey,
    pub reason: OrderFailureReason,
    pub detail: String,
}

/// The money was captured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentCaptured {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
    pub amount: Money,
}

/// The capture was refused; the hold may still be in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CaptureFailed {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
    pub detail: String,
}

/// The hold was released (PaymentIntent canceled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HoldVoided {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
}

/// The hold could not be released even after retries: a human must look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VoidFailed {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
    pub detail: String,
    /// Trying again cannot help (Stripe does not know the intent): an
    /// operator must look now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permanent: bool,
}

/// The airline order was cancelled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderCancelled {
    pub idempotency_key: IdempotencyKey,
    pub order_id: String,
    /// What the airline refunds to the agency balance, if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund: Option<Money>,
}

/// The airline order could not be cancelled even after retries: a human must look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CancelFailed {
    pub idempotency_key: IdempotencyKey,
    pub order_id: String,
    pub detail: String,
}

/// The traveller's money went back to the card (a Stripe refund).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentRefunded {
    pub idempotency_key: IdempotencyKey,
    /// Stripe refund id (re_...).
    pub refund_id: String,
    pub amount: Money,
}

/// The refund could not be made even after retries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RefundFailed {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
    pub detail: String,
    /// Trying again cannot help (Stripe does not know the intent): an
    /// operator must look now.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub permanent: bool,
}

/// The email was accepted by the email provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotificationSent {
    pub idempotency_key: IdempotencyKey,
    pub email_id: String,
}

/// The email could not be sent. Never undoes a booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotificationFailed {
    pub idempotency_key: IdempotencyKey,
    pub detail: String,
}

/// A durable timer of the saga came due.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TimerFired {
    pub timer: SagaTimer,
}

/// The timers a saga can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SagaTimer {
    /// Ask the worker again about a step whose outcome was unknown; the
    /// worker looks the result up by the step's key before acting again.
    RecheckStep { idempotency_key: IdempotencyKey },
    /// Try a failed compensation (void, cancel, refund) again.
    RetryCompensation { idempotency_key: IdempotencyKey },
    /// A watched trip searches again; the key is the coming search's.
    Research { idempotency_key: IdempotencyKey },
    /// A waiting trip (watched or paused with nothing held) reached its
    /// booking deadline; the key is the step it waits on.
    Deadline { idempotency_key: IdempotencyKey },
    /// The card hold placed by this authorize step is about to lapse.
    HoldExpiring { idempotency_key: IdempotencyKey },
    /// The offer selected with this authorize step can no longer be
    /// ordered and paid for (its `expires_at` or `payment_required_by`).
    OfferExpiring { idempotency_key: IdempotencyKey },
    /// The step sent under this key got no reply by its deadline: send the
    /// command again, same key (the worker looks first).
    StepDeadline { idempotency_key: IdempotencyKey },
}

impl SagaTimer {
    /// The key of the step the timer belongs to.
    pub fn idempotency_key(&self) -> &IdempotencyKey {
        match self {
            SagaTimer::RecheckStep { idempotency_key }
            | SagaTimer::RetryCompensation { idempotency_key }
            | SagaTimer::Research { idempotency_key }
            | SagaTimer::Deadline { idempotency_key }
            | SagaTimer::HoldExpiring { idempotency_key }
            | SagaTimer::OfferExpiring { idempotency_key }
            | SagaTimer::StepDeadline { idempotency_key } => idempotency_key,
        }
    }

    /// Timers that watch an outside commitment (a hold, an offer) rather
    /// than the step the saga waits on; they are matched by what they watch.
    pub fn watches_commitment(&self) -> bool {
        matches!(
            self,
            SagaTimer::HoldExpiring { .. } | SagaTimer::OfferExpiring { .. }
        )
    }
}

/// A provider call that may or may not have taken effect: it timed out or
/// failed with a 5xx even after retries, and a look-up could not settle it.
/// The saga waits and asks again; the worker then looks the result up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepOutcomeUnknown {
    pub idempotency_key: IdempotencyKey,
    pub step: Step,
    pub detail: String,
}

/// An operator asks a stuck saga to try its step again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RetryRequested {
    /// Who asked (an operator's name, never a traveller's data).
    pub operator: String,
    pub reason: String,
}

/// An operator ends a stuck saga by hand, having settled its money and
/// tickets outside the system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AbortRequested {
    pub operator: String,
    pub reason: String,
}

/// A worker did not make a money-moving call because the flags deny it
/// (kill switch thrown, auto-booking disabled for the user, or the flags
/// could not be read). Nothing was done; the saga pauses before the step
/// and sends the same command again when it is resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StepDeferred {
    pub idempotency_key: IdempotencyKey,
    pub step: Step,
    /// Why, as a flag decision code (`kill_switch`, `pipeline_disabled`,
    /// `unavailable`).
    pub reason: String,
}

/// The flags allow the paused saga's user again: carry on where it paused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResumeRequested {
    /// What resumed it (`flags_allow`, an operator's name).
    pub by: String,
}

/// The traveller (or someone on their behalf) cancels the trip. Cancelling
/// twice is harmless; a cancel racing the booking ends in one outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TripCancelRequested {
    /// Who asked: `traveller`, or an operator's name; never personal data.
    pub requested_by: String,
}

/// Stripe reported a change to one of the saga's payment intents (a
/// verified webhook event): for instance a hold that lapsed or was
/// cancelled outside the system. The saga decides whether it still counts
/// on that intent; most updates need nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PaymentIntentUpdated {
    /// Stripe payment intent id (pi_...).
    pub payment_intent_id: String,
    /// The intent's status after the change: `canceled`, `succeeded`,
    /// `requires_capture`, ...
    pub status: String,
    /// The Stripe event id (evt_...) it came from.
    pub event_id: String,
    /// The authorize step that created the intent, from its metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_key: Option<IdempotencyKey>,
    /// Why it was canceled: `automatic` for a lapsed hold, or the reason
    /// given to the cancel call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
}

impl PaymentIntentUpdated {
    /// The status of an intent whose hold is gone for good.
    pub const CANCELED: &'static str = "canceled";

    pub fn is_canceled(&self) -> bool {
        self.status == Self::CANCELED
    }
}
