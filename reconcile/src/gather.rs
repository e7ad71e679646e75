//! Reading what the providers say, through their real APIs: payment
//! intents and refunds listed by creation window, every Duffel order
//! (kept when created within the window), the intents named by recent
//! Stripe webhook events, and then, one by one, the objects our records
//! name that the listings did not show.
//!
//! Every read is bounded. A listing that stops before its end, or fails,
//! is recorded in [`Gathered::incomplete`]: what it did not show is not
//! taken as absent (the comparison asserts absence only of objects read by
//! id).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::Serialize;

use autobook_workers::providers::ProviderError;
use autobook_workers::providers::stripe::ListFilter;

use crate::compare::recorded_objects;
use crate::observed::{Observed, Ours, captured, intent_created};
use crate::providers::Providers;

/// Bounds of one run's reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pages read per listing (100 intents or refunds, 200 orders a page).
    pub max_pages: u32,
    /// Objects read one by one: intents named by webhook events or by our
    /// records, orders named by our records, the refunds of one intent.
    pub max_lookups: usize,
    /// Payment intents taken from recent webhook events.
    pub max_webhook_intents: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pages: 50,
            max_lookups: 1000,
            max_webhook_intents: 5000,
        }
    }
}

/// A read that may not show everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Listing {
    PaymentIntents,
    Refunds,
    Orders,
    WebhookIntents,
    Lookups,
}

impl Listing {
    pub const ALL: [Listing; 5] = [
        Listing::PaymentIntents,
        Listing::Refunds,
        Listing::Orders,
        Listing::WebhookIntents,
        Listing::Lookups,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Listing::PaymentIntents => "payment_intents",
            Listing::Refunds => "refunds",
            Listing::Orders => "orders",
            Listing::WebhookIntents => "webhook_intents",
            Listing::Lookups => "lookups",
        }
    }
}

/// How many objects a run read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Examined {
    pub payment_intents: usize,
    pub refunds: usize,
    pub orders: usize,
    /// Intents named by recent webhook events.
    pub webhook_intents: usize,
    /// Objects read one by one.
    pub lookups: usize,
    /// Saga records read.
    pub sagas: usize,
}

/// What was read, and which reads may have missed something.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gathered {
    pub observed: Observed,
    pub incomplete: BTreeSet<Listing>,
    pub examined: Examined,
}

/// The payment intents named by recent Stripe webhook events (the
/// receiver records every verified event, including those about intents
/// no saga counts on).
pub trait EventSource: Send + Sync {
    /// The intents named by events received at or after `since`, most
    /// recent first, at most `limit`, and whether that was all of them.
    fn intents_since(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> impl Future<Output = Result<(Vec<String>, bool), sqlx::Error>> + Send;
}

/// Lists the providers' objects created at or after `since`, then reads
/// the intents `named` by webhook events that the listing did not show.
pub async fn list(
    providers: &Providers,
    since: DateTime<Utc>,
    limits: &Limits,
    named: (Vec<String>, bool),
) -> Gathered {
    let mut gathered = Gathered::default();
    let from = since.timestamp();
    let window = ListFilter::created_since(from);
    match providers
        .stripe_call(|| {
            providers
                .stripe
                .list_payment_intents(&window, limits.max_pages)
        })
        .await
    {
        Ok(listed) => {
            gathered.examined.payment_intents = listed.items.len();
            if !listed.complete {
                gathered.incomplete.insert(Listing::PaymentIntents);
            }
            for intent in listed.items {
                // A provider that ignores the filter lists a superset.
                if intent_created(&intent).is_none_or(|created| created >= since) {
                    gathered.observed.intents.insert(intent.id.clone(), intent);
                }
            }
        }
        Err(error) => failed(&mut gathered, Listing::PaymentIntents, &error),
    }
    match providers
        .stripe_call(|| {
            providers
                .stripe
                .list_refunds_filtered(&window, limits.max_pages)
        })
        .await
    {
        Ok(listed) => {
            gathered.examined.refunds = listed.items.len();
            if listed.complete {
                // Every refund of an intent created in the window was made
                // in the window, so all of them are here.
                let mut by_intent: BTreeMap<String, Vec<_>> = gathered
                    .observed
                    .intents
                    .keys()
                    .map(|id| (id.clone(), Vec::new()))
                    .collect();
                for refund in listed.items {
                    if let Some(refunds) = refund
                        .payment_intent
                        .as_ref()
                        .and_then(|intent| by_intent.get_mut(intent))
                    {
                        refunds.push(refund);
                    }
                }
                gathered.observed.refunds = by_intent;
            } else {
                gathered.incomplete.insert(Listing::Refunds);
            }
        }
        Err(error) => failed(&mut gathered, Listing::Refunds, &error),
    }
    match providers
        .duffel_call(|| providers.duffel.list_orders(limits.max_pages))
        .await
    {
        Ok(listed) => {
            gathered.examined.orders = listed.items.len();
            if !listed.complete {
                gathered.incomplete.insert(Listing::Orders);
            }
            for order in listed.items {
                if order.created_at.is_none_or(|created| created >= since) {
                    gathered.observed.orders.insert(order.id.clone(), order);
                }
            }
        }
        Err(error) => failed(&mut gathered, Listing::Orders, &error),
    }
    let (intents, all) = named;
    if !all {
        gathered.incomplete.insert(Listing::WebhookIntents);
    }
    gathered.examined.webhook_intents = intents.len();
    let mut lookups = Lookups::new(limits.max_lookups);
    for id in intents {
        if !gathered.observed.intents.contains_key(&id) {
            lookups.intent(providers, &mut gathered, &id).await;
        }
    }
    lookups.finish(&mut gathered);
    gathered
}

/// Reads one by one what our finished records name and the listings did
/// not show: a booking's intent and order, and the refunds of its intent.
pub async fn look_up(providers: &Providers, gathered: &mut Gathered, ours: &Ours, limits: &Limits) {
    let mut lookups = Lookups::new(limits.max_lookups.saturating_sub(gathered.examined.lookups));
    for record in ours.records.values() {
        let Some((intent, order)) = recorded_objects(record) else {
            continue;
        };
        if !gathered.observed.intents.contains_key(intent) {
            lookups.intent(providers, gathered, intent).await;
        }
        if !gathered.observed.orders.contains_key(order) {
            lookups.order(providers, gathered, order).await;
        }
        let taken = gathered.observed.intents.get(intent).is_some_and(captured);
        if taken && !gathered.observed.refunds.contains_key(intent) {
            lookups.refunds(providers, gathered, intent).await;
        }
    }
    lookups.finish(gathered);
}

fn failed(gathered: &mut Gathered, listing: Listing, error: &ProviderError) {
    tracing::warn!(listing = listing.as_str(), %error, "a provider listing failed");
    gathered.incomplete.insert(listing);
}

/// One-by-one reads within a budget.
struct Lookups {
    left: usize,
    done: usize,
    short: bool,
}

impl Lookups {
    fn new(budget: usize) -> Self {
        Lookups {
            left: budget,
            done: 0,
            short: false,
        }
    }

    /// Whether one more read fits the budget (counting it).
    fn take(&mut self) -> bool {
        if self.left == 0 {
            self.short = true;
            return false;
        }
        self.left -= 1;
        self.done += 1;
        true
    }

    async fn intent(&mut self, providers: &Providers, gathered: &mut Gathered, id: &str) {
        if !self.take() {
            return;
        }
        match providers
            .stripe_call(|| providers.stripe.retrieve_payment_intent(id))
            .await
        {
            Ok(intent) => {
                gathered.observed.intents.insert(intent.id.clone(), intent);
            }
            Err(error) => self.failed(&error),
        }
    }

    async fn order(&mut self, providers: &Providers, gathered: &mut Gathered, id: &str) {
        if !self.take() {
            return;
        }
        match providers
            .duffel_call(|| providers.duffel.get_order(id))
            .await
        {
            Ok(order) => {
                gathered.observed.orders.insert(order.id.clone(), order);
            }
            Err(error) => self.failed(&error),
        }
    }

    async fn refunds(&mut self, providers: &Providers, gathered: &mut Gathered, intent: &str) {
        if !self.take() {
            return;
        }
        let filter = ListFilter {
            payment_intent: Some(intent.to_owned()),
            ..ListFilter::default()
        };
        match providers
            .stripe_call(|| providers.stripe.list_refunds_filtered(&filter, 10))
            .await
        {
            Ok(listed) if listed.complete => {
                gathered
                    .observed
                    .refunds
                    .insert(intent.to_owned(), listed.items);
            }
            Ok(_) => self.short = true,
            Err(error) => self.failed(&error),
        }
    }

    fn failed(&mut self, error: &ProviderError) {
        tracing::warn!(%error, "a provider look-up failed");
        self.short = true;
    }

    fn finish(self, gathered: &mut Gathered) {
        gathered.examined.lookups += self.done;
        if self.short {
            gathered.incomplete.insert(Listing::Lookups);
        }
    }
}
