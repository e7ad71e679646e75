//! Stripe's JSON answers and their mapping to [`super::model`].

use std::collections::BTreeMap;

use autobook_contracts::{Currency, Money};
use serde::Deserialize;

use super::model::{PaymentIntent, PaymentIntentStatus, Refund};

#[derive(Debug, Deserialize)]
pub struct PaymentIntentWire {
    pub id: String,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub amount_capturable: i64,
    #[serde(default)]
    pub amount_received: i64,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub cancellation_reason: Option<String>,
    #[serde(default)]
    pub created: i64,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub last_payment_error: Option<LastPaymentError>,
}

/// The part of `last_payment_error` we read.
#[derive(Debug, Deserialize)]
pub struct LastPaymentError {
    pub decline_code: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RefundWire {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub status: Option<String>,
    pub payment_intent: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub created: i64,
}

/// `GET /v1/refunds` answer: a list object, newest first.
#[derive(Debug, Deserialize)]
pub struct RefundPage {
    pub data: Vec<RefundWire>,
    #[serde(default)]
    pub has_more: bool,
}

/// `GET /v1/payment_intents` answer: a list object, newest first.
#[derive(Debug, Deserialize)]
pub struct IntentPage {
    pub data: Vec<PaymentIntentWire>,
    #[serde(default)]
    pub has_more: bool,
}

/// `{"error":{...}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
    pub param: Option<String>,
    pub payment_intent: Option<IdOnly>,
}

#[derive(Debug, Deserialize)]
pub struct IdOnly {
    pub id: String,
}

/// Stripe sends lowercase ISO codes.
fn currency(code: &str) -> Result<Currency, &'static str> {
    Currency::parse(&code.to_ascii_uppercase()).map_err(|_| "currency")
}

impl TryFrom<PaymentIntentWire> for PaymentIntent {
    /// The field that could not be read.
    type Error = &'static str;

    fn try_from(wire: PaymentIntentWire) -> Result<Self, Self::Error> {
        if wire.amount < 0 {
            return Err("amount");
        }
        Ok(PaymentIntent {
            id: wire.id,
            status: PaymentIntentStatus::parse(&wire.status),
            amount: Money::new(wire.amount, currency(&wire.currency)?),
            amount_capturable: wire.amount_capturable,
            amount_received: wire.amount_received,
            metadata: wire.metadata,
            cancellation_reason: wire.cancellation_reason,
            created: wire.created,
            customer: wire.customer,
            last_decline_code: wire
                .last_payment_error
                .and_then(|error| error.decline_code.or(error.code)),
        })
    }
}

impl TryFrom<RefundWire> for Refund {
    type Error = &'static str;

    fn try_from(wire: RefundWire) -> Result<Self, Self::Error> {
        if wire.amount < 0 {
            return Err("amount");
        }
        Ok(Refund {
            id: wire.id,
            amount: Money::new(wire.amount, currency(&wire.currency)?),
            status: wire.status.unwrap_or_else(|| "unknown".to_owned()),
            payment_intent: wire.payment_intent,
            metadata: wire.metadata,
            created: wire.created,
        })
    }
}
