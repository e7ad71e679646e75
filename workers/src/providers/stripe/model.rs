//! What the Stripe client takes and returns, in our own types.

use std::collections::BTreeMap;

use autobook_contracts::Money;

/// A manual-capture PaymentIntent to create (`capture_method=manual`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPaymentIntent {
    pub amount: Money,
    /// A payment method id (pm_...).
    pub payment_method: String,
    /// A customer id (cus_...).
    pub customer: Option<String>,
    /// Shown on the card statement and in the dashboard.
    pub description: String,
    pub metadata: BTreeMap<String, String>,
}

/// Why a PaymentIntent is canceled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
    Abandoned,
}

impl CancellationReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            CancellationReason::Duplicate => "duplicate",
            CancellationReason::Fraudulent => "fraudulent",
            CancellationReason::RequestedByCustomer => "requested_by_customer",
            CancellationReason::Abandoned => "abandoned",
        }
    }
}

/// A PaymentIntent as we need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentIntent {
    /// pi_...
    pub id: String,
    pub status: PaymentIntentStatus,
    pub amount: Money,
    /// Minor units still held and capturable.
    pub amount_capturable: i64,
    /// Minor units captured.
    pub amount_received: i64,
    pub metadata: BTreeMap<String, String>,
    pub cancellation_reason: Option<String>,
    /// When Stripe created it (Unix seconds).
    pub created: i64,
    /// The customer (cus_...), when the intent names one.
    pub customer: Option<String>,
    /// The decline code of the last failed confirmation, if any (a card
    /// declined at confirm leaves the intent `requires_payment_method`).
    pub last_decline_code: Option<String>,
}

/// The lifecycle state of a PaymentIntent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    /// The hold is in place.
    RequiresCapture,
    /// Released (or lapsed) without capture.
    Canceled,
    /// Captured.
    Succeeded,
    /// A status this client does not know.
    Other(String),
}

impl PaymentIntentStatus {
    pub fn parse(status: &str) -> Self {
        match status {
            "requires_payment_method" => PaymentIntentStatus::RequiresPaymentMethod,
            "requires_confirmation" => PaymentIntentStatus::RequiresConfirmation,
            "requires_action" => PaymentIntentStatus::RequiresAction,
            "processing" => PaymentIntentStatus::Processing,
            "requires_capture" => PaymentIntentStatus::RequiresCapture,
            "canceled" => PaymentIntentStatus::Canceled,
            "succeeded" => PaymentIntentStatus::Succeeded,
            other => PaymentIntentStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PaymentIntentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentIntentStatus::RequiresConfirmation => "requires_confirmation",
            PaymentIntentStatus::RequiresAction => "requires_action",
            PaymentIntentStatus::Processing => "processing",
            PaymentIntentStatus::RequiresCapture => "requires_capture",
            PaymentIntentStatus::Canceled => "canceled",
            PaymentIntentStatus::Succeeded => "succeeded",
            PaymentIntentStatus::Other(other) => other,
        }
    }
}

/// A refund to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// pi_...
    pub payment_intent: String,
    /// Part of the captured amount; `None` refunds all of it.
    pub amount: Option<Money>,
    /// duplicate, fraudulent or requested_by_customer.
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// A refund as we need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// re_...
    pub id: String,
    pub amount: Money,
    /// pending, requires_action, succeeded, failed or canceled.
    pub status: String,
    /// The refunded PaymentIntent (pi_...), when Stripe names it.
    pub payment_intent: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// When Stripe created it (Unix seconds; 0 when not given).
    pub created: i64,
}

impl Refund {
    /// Failed or canceled: no money went back, and none will.
    pub fn did_not_happen(&self) -> bool {
        matches!(self.status.as_str(), "failed" | "canceled")
    }
}
