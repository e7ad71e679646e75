//! Events: what happened. Workers answer each command with one of these,
//! echoing the command's idempotency key so the orchestrator can tell a
//! reply to the current step from a stale one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::idempotency::IdempotencyKey;
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
    /// The worker could not tell whether an order was made.
    Unknown,
}

/// The airline order was not created (or its fate is unknown).
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
    /// Ask the order worker again about an order whose outcome was unknown;
    /// the worker looks the order up by its key before creating anything.
    RecheckOrder { idempotency_key: IdempotencyKey },
}
