//! A refund as the Stripe sandbox remembers it and shows it. Made by
//! [`super::refunds`], kept by [`super::state`].

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// A succeeded refund of (part of) a payment intent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refund {
    pub(crate) id: String,
    pub(crate) payment_intent: String,
    pub(crate) charge: Option<String>,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) reason: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created: i64,
}

impl Refund {
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "currency": self.currency,
            "payment_intent": self.payment_intent,
            "charge": self.charge,
            "status": "succeeded",
            "reason": self.reason,
            "metadata": self.metadata,
            "created": self.created,
        })
    }
}
