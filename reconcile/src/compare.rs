//! The comparison, pure: the providers' objects against the sagas' money
//! records, every disagreement as a [`Finding`], and the holds the job may
//! release on its own.
//!
//! Objects are grouped by the saga their metadata names (`saga_id`), plus
//! the intent and order a finished saga recorded, whatever their metadata
//! says. Then:
//!
//! | the saga            | what is a finding                                        |
//! |---------------------|----------------------------------------------------------|
//! | no record           | a hold: `orphan_hold`; a capture or live order: `unknown_saga` |
//! | unreadable          | `unreadable_saga`, nothing else judged                   |
//! | any                 | a hold it does not count on: `orphan_hold`               |
//! | open (in flight, paused, unknown outcome, stuck) | nothing else                 |
//! | aborted by an operator | nothing else                                          |
//! | failed              | each capture: `capture_on_compensated_saga`; each live order: `order_on_compensated_saga` |
//! | cancelled           | live orders as failed; a capture it did not record as failed; two captures: `double_capture`; charged or refunded amounts that differ: `amount_mismatch` |
//! | booked              | `double_capture`, `double_order`, `order_without_capture`, `capture_without_order`, `amount_mismatch` |
//!
//! An object created within the grace period is never a finding, nor
//! judged with its saga's other objects; a saga whose own recorded intent
//! or order is that young is not judged this run. A finding that rests
//! on something being absent is made only when the object that should be
//! there was read by id (a listing that may be incomplete proves nothing
//! absent).
//!
//! [`finished`] judges finished sagas; [`findings`] collects what is found.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use uuid::Uuid;

use autobook_contracts::money::Money;
use autobook_orchestrator::money::{MoneyRecord, Standing};
use autobook_workers::providers::{DuffelOrder, PaymentIntent};

use crate::finding::{Finding, FindingClass};
use crate::observed::{
    Judging, Observed, Ours, captured, holds, intent_created, live, made_by_us, made_under,
    received, saga_named,
};

mod findings;
mod finished;

use findings::Findings;
use finished::judge;

/// A hold the job may release: made by autobook, older than the grace, and
/// counted on by no saga.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Release {
    pub payment_intent_id: String,
    pub saga_id: Option<Uuid>,
    /// What it holds.
    pub amount: Money,
}

/// What one comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Judgement {
    pub findings: Vec<Finding>,
    pub releases: Vec<Release>,
}

/// Compares what the providers showed with our records at `judging.now`.
pub fn compare(observed: &Observed, ours: &Ours, judging: &Judging) -> Judgement {
    let counted = counted_intents(ours);
    let mut out = Findings::default();
    let groups = group(observed, ours);
    for saga in &ours.unreadable {
        out.push(
            FindingClass::UnreadableSaga,
            saga.to_string(),
            Some(*saga),
            None,
            "the saga's stored state cannot be read; its money is not judged".into(),
        );
    }
    for (saga, group) in &groups {
        for intent in group.intents.values() {
            if orphaned(intent, ours, &counted, judging) {
                out.orphan(intent);
            }
        }
        if ours.unreadable.contains(saga) {
            continue;
        }
        match ours.records.get(saga) {
            None => unknown_saga(*saga, group, judging, &mut out),
            Some(record) if recorded_young(record, observed, judging) => {}
            Some(record) => judge(record, &group.old(judging), observed, &mut out),
        }
    }
    out.done()
}

/// Whether `intent` is a hold autobook made, older than the grace, that no
/// saga counts on: one the job may release.
pub fn orphaned(
    intent: &PaymentIntent,
    ours: &Ours,
    counted: &BTreeSet<String>,
    judging: &Judging,
) -> bool {
    if !holds(intent)
        || !made_by_us(intent)
        || judging.young(intent_created(intent))
        || counted.contains(&intent.id)
    {
        return false;
    }
    let Some(saga) = saga_named(&intent.metadata) else {
        return false;
    };
    if ours.unreadable.contains(&saga) {
        return false;
    }
    ours.records.get(&saga).is_none_or(|record| {
        !record
            .standing
            .counts_on_intent(&intent.id, made_under(intent))
    })
}

/// Every intent some saga counts on by id.
pub fn counted_intents(ours: &Ours) -> BTreeSet<String> {
    let mut counted = BTreeSet::new();
    for record in ours.records.values() {
        match &record.standing {
            Standing::Open { intents, .. } => counted.extend(intents.iter().cloned()),
            Standing::Booked {
                payment_intent_id, ..
            } => {
                counted.insert(payment_intent_id.clone());
            }
            Standing::Failed | Standing::Cancelled { .. } | Standing::Aborted => {}
        }
    }
    counted
}

/// The objects of one saga.
#[derive(Debug, Default)]
struct Group<'a> {
    intents: BTreeMap<&'a str, &'a PaymentIntent>,
    orders: BTreeMap<&'a str, &'a DuffelOrder>,
}

impl<'a> Group<'a> {
    /// The objects past the grace period.
    fn old(&self, judging: &Judging) -> Group<'a> {
        Group {
            intents: self
                .intents
                .iter()
                .filter(|(_, intent)| !judging.young(intent_created(intent)))
                .map(|(id, intent)| (*id, *intent))
                .collect(),
            orders: self
                .orders
                .iter()
                .filter(|(_, order)| !judging.young(order.created_at))
                .map(|(id, order)| (*id, *order))
                .collect(),
        }
    }

    fn captures(&self) -> Vec<&PaymentIntent> {
        self.intents
            .values()
            .copied()
            .filter(|i| captured(i))
            .collect()
    }

    fn live_orders(&self) -> Vec<&DuffelOrder> {
        self.orders.values().copied().filter(|o| live(o)).collect()
    }
}

/// Objects by the saga they name, with each finished saga's own objects.
fn group<'a>(observed: &'a Observed, ours: &Ours) -> BTreeMap<Uuid, Group<'a>> {
    let mut groups: BTreeMap<Uuid, Group<'a>> = BTreeMap::new();
    for intent in observed.intents.values() {
        if let Some(saga) = saga_named(&intent.metadata) {
            groups
                .entry(saga)
                .or_default()
                .intents
                .insert(&intent.id, intent);
        }
    }
    for order in observed.orders.values() {
        if let Some(saga) = saga_named(&order.metadata) {
            groups
                .entry(saga)
                .or_default()
                .orders
                .insert(&order.id, order);
        }
    }
    for record in ours.records.values() {
        let Some((intent, order)) = recorded_objects(record) else {
            continue;
        };
        let group = groups.entry(record.saga_id).or_default();
        if let Some(found) = observed.intents.get(intent) {
            group.intents.insert(&found.id, found);
        }
        if let Some(found) = observed.orders.get(order) {
            group.orders.insert(&found.id, found);
        }
    }
    groups
}

/// Whether the intent or order the saga recorded is within the grace
/// period (then the saga is not judged: it may have just finished).
fn recorded_young(record: &MoneyRecord, observed: &Observed, judging: &Judging) -> bool {
    recorded_objects(record).is_some_and(|(intent, order)| {
        observed
            .intents
            .get(intent)
            .is_some_and(|i| judging.young(intent_created(i)))
            || observed
                .orders
                .get(order)
                .is_some_and(|o| judging.young(o.created_at))
    })
}

/// The intent and order a finished saga recorded, if it recorded any.
pub fn recorded_objects(record: &MoneyRecord) -> Option<(&str, &str)> {
    match &record.standing {
        Standing::Booked {
            payment_intent_id,
            order_id,
            ..
        } => Some((payment_intent_id, order_id)),
        Standing::Cancelled {
            booking: Some(booking),
            ..
        } => Some((&booking.payment_intent_id, &booking.order_id)),
        Standing::Cancelled { booking: None, .. }
        | Standing::Open { .. }
        | Standing::Failed
        | Standing::Aborted => None,
    }
}

fn unknown_saga(saga: Uuid, group: &Group<'_>, judging: &Judging, out: &mut Findings) {
    for intent in group.captures() {
        if !judging.young(intent_created(intent)) {
            out.push(
                FindingClass::UnknownSaga,
                intent.id.clone(),
                Some(saga),
                Some(received(intent)),
                format!(
                    "{} captured {} for a saga with no record",
                    intent.id,
                    received(intent)
                ),
            );
        }
    }
    for order in group.live_orders() {
        if !judging.young(order.created_at) {
            out.push(
                FindingClass::UnknownSaga,
                order.id.clone(),
                Some(saga),
                Some(order.total),
                format!(
                    "live order {} ({}) for a saga with no record",
                    order.id, order.total
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
