//! The Stripe sandbox's memory, behind one mutex: its RNG, payment intents,
//! refunds and stored idempotent answers.

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::errors::StripeError;
use super::intents::PaymentIntent;
use super::refunds::Refund;
use crate::idempotency::IdempotencyStore;
use crate::ids::stable_hash;
use crate::ledger::{Ledger, LedgerPaymentIntent, LedgerRefund};

#[derive(Debug)]
pub(crate) struct StripeState {
    pub(crate) rng: StdRng,
    /// In creation order.
    pub(crate) intents: Vec<PaymentIntent>,
    pub(crate) refunds: Vec<Refund>,
    pub(crate) idempotency: IdempotencyStore,
}

impl StripeState {
    pub(crate) fn new(seed: u64) -> Self {
        StripeState {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "stripe"])),
            intents: Vec::new(),
            refunds: Vec::new(),
            idempotency: IdempotencyStore::default(),
        }
    }

    /// The intent named in the URL, with any due lapse applied; 404
    /// `resource_missing` if there is none.
    pub(crate) fn intent_mut(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<&mut PaymentIntent, StripeError> {
        let intent = self
            .intents
            .iter_mut()
            .find(|intent| intent.id == id)
            .ok_or_else(|| StripeError::resource_missing("payment_intent", id, "intent"))?;
        intent.refresh(now);
        Ok(intent)
    }

    /// Applies every due lapse.
    pub(crate) fn refresh_all(&mut self, now: DateTime<Utc>) {
        for intent in &mut self.intents {
            intent.refresh(now);
        }
    }

    pub(crate) fn write_ledger(&mut self, ledger: &mut Ledger, now: DateTime<Utc>) {
        self.refresh_all(now);
        ledger.payment_intents = self
            .intents
            .iter()
            .map(|pi| LedgerPaymentIntent {
                id: pi.id.clone(),
                amount: pi.amount,
                currency: pi.currency.clone(),
                status: pi.status.as_str().to_owned(),
                capture_method: pi.capture_method.clone(),
                amount_capturable: pi.amount_capturable,
                amount_received: pi.amount_received,
                amount_refunded: pi.amount_refunded,
                payment_method: pi.payment_method.clone(),
                customer: pi.customer.clone(),
                metadata: pi.metadata.clone(),
                cancellation_reason: pi.cancellation_reason.clone(),
                created: pi.created,
            })
            .collect();
        ledger.refunds = self
            .refunds
            .iter()
            .map(|refund| LedgerRefund {
                id: refund.id.clone(),
                payment_intent: refund.payment_intent.clone(),
                amount: refund.amount,
                currency: refund.currency.clone(),
                status: "succeeded".into(),
                reason: refund.reason.clone(),
                metadata: refund.metadata.clone(),
            })
            .collect();
    }
}
