//! The Stripe sandbox's memory, behind one mutex: its RNG, payment intents
//! (and what search has seen of them), refunds, stored idempotent answers,
//! and the events their changes make.
//!
//! Every change of an intent goes through [`StripeState::add_intent`],
//! [`StripeState::change_intent`] or a lapse, which note it in the search
//! index and emit its event.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::errors::StripeError;
use super::events::{self, Events};
use super::intents::PaymentIntent;
use super::refund::Refund;
use super::search_index::SearchIndex;
use super::webhooks::Webhooks;
use crate::idempotency::IdempotencyStore;
use crate::ids::{Instance, stable_hash};
use crate::ledger::{Ledger, LedgerPaymentIntent, LedgerRefund};

#[derive(Debug)]
pub(crate) struct StripeState {
    pub(crate) rng: StdRng,
    instance: Instance,
    /// In creation order.
    pub(crate) intents: Vec<PaymentIntent>,
    /// What search has seen of the intents.
    pub(crate) index: SearchIndex,
    pub(crate) refunds: Vec<Refund>,
    pub(crate) idempotency: IdempotencyStore,
    pub(crate) events: Events,
}

impl StripeState {
    pub(crate) fn new(seed: u64, instance: Instance, webhooks: Arc<Webhooks>) -> Self {
        StripeState {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "stripe"])),
            instance,
            intents: Vec::new(),
            index: SearchIndex::default(),
            refunds: Vec::new(),
            idempotency: IdempotencyStore::default(),
            events: Events::new(seed, instance, webhooks),
        }
    }

    /// A new id (`pi`, `ch`, `re`, ...) of this start.
    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.instance.stripe_id(&mut self.rng, prefix)
    }

    /// Keeps a new intent (after its events were emitted).
    pub(crate) fn add_intent(&mut self, intent: PaymentIntent, now: DateTime<Utc>) {
        self.index.record(&intent, now);
        self.intents.push(intent);
    }

    /// The intent named in the URL, with any due lapse applied; 404
    /// `resource_missing` if there is none.
    pub(crate) fn intent_mut(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<&mut PaymentIntent, StripeError> {
        let index = self
            .intents
            .iter()
            .position(|intent| intent.id == id)
            .ok_or_else(|| StripeError::resource_missing("payment_intent", id, "intent"))?;
        self.refresh(index, now);
        Ok(&mut self.intents[index])
    }

    /// Runs `change` on the intent named in the URL (after any due lapse)
    /// and emits the event the change makes.
    pub(crate) fn change_intent<T>(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut PaymentIntent) -> Result<T, StripeError>,
    ) -> Result<T, StripeError> {
        let intent = self.intent_mut(id, now)?;
        let before = intent.clone();
        let result = change(intent);
        let after = intent.clone();
        self.events.intent_changed(&before, &after, now);
        self.index.record(&after, now);
        result
    }

    /// Applies every due lapse.
    pub(crate) fn refresh_all(&mut self, now: DateTime<Utc>) {
        for index in 0..self.intents.len() {
            self.refresh(index, now);
        }
    }

    /// Applies a due lapse to one intent: Stripe cancels it and says so.
    fn refresh(&mut self, index: usize, now: DateTime<Utc>) {
        let intent = &mut self.intents[index];
        if intent.refresh(now) {
            self.events
                .emit(events::INTENT_CANCELED, intent.json(), now);
            self.index.record(intent, now);
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
