//! What the providers showed (payment intents, refunds, orders) and what we
//! recorded (the sagas' money records), as the comparison takes them, with
//! the questions it asks of one object: whose is it, does it hold or take
//! money, is it young.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use autobook_contracts::money::Money;
use autobook_contracts::stripe_webhook::{IDEMPOTENCY_KEY_METADATA, SAGA_ID_METADATA};
use autobook_orchestrator::money::{MoneyRecord, MoneyRecords};
use autobook_workers::providers::{DuffelOrder, PaymentIntent, PaymentIntentStatus, Refund};

/// The providers' objects, each once, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    pub intents: BTreeMap<String, PaymentIntent>,
    /// Every refund of an intent, for the intents whose refunds are all
    /// known (an intent absent here: its refunds are not known).
    pub refunds: BTreeMap<String, Vec<Refund>>,
    pub orders: BTreeMap<String, DuffelOrder>,
}

/// Our records: each saga read, and those whose state could not be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ours {
    pub records: BTreeMap<Uuid, MoneyRecord>,
    pub unreadable: BTreeSet<Uuid>,
}

impl Ours {
    /// Adds what a read returned.
    pub fn add(&mut self, read: MoneyRecords) {
        for record in read.records {
            self.records.insert(record.saga_id, record);
        }
        self.unreadable.extend(read.unreadable);
    }

    /// Whether the saga was read (readable or not).
    pub fn knows(&self, saga_id: &Uuid) -> bool {
        self.records.contains_key(saga_id) || self.unreadable.contains(saga_id)
    }
}

/// When objects are too young to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judging {
    pub now: DateTime<Utc>,
    /// Objects created less than this long before `now` are not judged:
    /// the saga making them may not have recorded them yet.
    pub grace: Duration,
}

impl Judging {
    /// Whether something created at `created` is still within the grace.
    pub fn young(&self, created: Option<DateTime<Utc>>) -> bool {
        let grace = chrono::Duration::from_std(self.grace).unwrap_or(chrono::Duration::MAX);
        created.is_some_and(|created| self.now.signed_duration_since(created) < grace)
    }
}

/// The saga an object's metadata names, if it names one.
pub fn saga_named(metadata: &BTreeMap<String, String>) -> Option<Uuid> {
    metadata
        .get(SAGA_ID_METADATA)
        .and_then(|id| Uuid::parse_str(id).ok())
}

/// The idempotency key an intent was made under, if any.
pub fn made_under(intent: &PaymentIntent) -> Option<&str> {
    intent
        .metadata
        .get(IDEMPOTENCY_KEY_METADATA)
        .map(String::as_str)
}

/// Made by autobook's payment worker: it names a saga and the step key.
pub fn made_by_us(intent: &PaymentIntent) -> bool {
    saga_named(&intent.metadata).is_some() && made_under(intent).is_some()
}

/// The hold is in place: money held, not taken.
pub fn holds(intent: &PaymentIntent) -> bool {
    intent.status == PaymentIntentStatus::RequiresCapture
}

/// Money was taken.
pub fn captured(intent: &PaymentIntent) -> bool {
    intent.status == PaymentIntentStatus::Succeeded && intent.amount_received > 0
}

/// When Stripe created the intent (None when it did not say).
pub fn intent_created(intent: &PaymentIntent) -> Option<DateTime<Utc>> {
    (intent.created > 0)
        .then(|| DateTime::from_timestamp(intent.created, 0))
        .flatten()
}

/// The minor units refunded by refunds that happened (or are on their way).
pub fn refunded_minor(refunds: &[Refund]) -> i64 {
    refunds
        .iter()
        .filter(|refund| !refund.did_not_happen())
        .map(|refund| refund.amount.amount_minor)
        .sum()
}

/// The order is not cancelled.
pub fn live(order: &DuffelOrder) -> bool {
    !order.cancelled
}

/// What an intent captured, in its currency.
pub fn received(intent: &PaymentIntent) -> Money {
    Money::new(intent.amount_received, intent.amount.currency)
}
