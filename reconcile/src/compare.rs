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

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use uuid::Uuid;

use autobook_contracts::money::Money;
use autobook_orchestrator::money::{MoneyRecord, Standing};
use autobook_workers::providers::{DuffelOrder, PaymentIntent};

use crate::finding::{Finding, FindingClass};
use crate::observed::{
    Judging, Observed, Ours, captured, holds, intent_created, live, made_by_us, made_under,
    refunded_minor, saga_named,
};

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

fn judge(record: &MoneyRecord, group: &Group<'_>, observed: &Observed, out: &mut Findings) {
    let saga = record.saga_id;
    match &record.standing {
        Standing::Open { .. } | Standing::Aborted => {}
        Standing::Failed => {
            for intent in group.captures() {
                out.capture_on_compensated(saga, intent, "failed");
            }
            for order in group.live_orders() {
                out.order_on_compensated(saga, order, "failed");
            }
        }
        Standing::Cancelled {
            charged,
            refunded,
            booking,
        } => {
            for order in group.live_orders() {
                out.order_on_compensated(saga, order, "cancelled");
            }
            let captures = group.captures();
            let Some(charged) = charged else {
                for intent in captures {
                    out.capture_on_compensated(saga, intent, "cancelled without a charge");
                }
                return;
            };
            let booked_intent = booking
                .as_ref()
                .and_then(|b| observed.intents.get(&b.payment_intent_id));
            match captures.as_slice() {
                [] if booked_intent.is_some() => out.mismatch(
                    saga,
                    format!("recorded a charge of {charged}; the providers show no capture"),
                ),
                [] => {}
                [intent] => {
                    let refunded = refunded.map_or(0, |m| m.amount_minor);
                    check_charge(saga, intent, charged, refunded, observed, out);
                }
                many => out.double_capture(saga, many),
            }
        }
        Standing::Booked {
            payment_intent_id,
            order_id,
            captured,
            order_amount,
        } => {
            let booking = Booked {
                payment_intent_id,
                order_id,
                captured: *captured,
                order_amount: *order_amount,
            };
            judge_booked(saga, &booking, group, observed, out);
        }
    }
}

/// A booked saga's record.
struct Booked<'a> {
    payment_intent_id: &'a str,
    order_id: &'a str,
    captured: Money,
    order_amount: Money,
}

fn judge_booked(
    saga: Uuid,
    booking: &Booked<'_>,
    group: &Group<'_>,
    observed: &Observed,
    out: &mut Findings,
) {
    let captures = group.captures();
    let orders = group.live_orders();
    if captures.len() > 1 {
        out.double_capture(saga, &captures);
    }
    if orders.len() > 1 {
        let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
        out.push(
            FindingClass::DoubleOrder,
            saga.to_string(),
            Some(saga),
            None,
            format!("{} live orders: {}", orders.len(), ids.join(", ")),
        );
    }
    // Absence counts only when the recorded object was read by id.
    let no_capture =
        captures.is_empty() && observed.intents.contains_key(booking.payment_intent_id);
    let no_order = orders.is_empty() && observed.orders.contains_key(booking.order_id);
    match (captures.as_slice(), orders.as_slice()) {
        ([], [_, ..]) if no_capture => {
            for order in &orders {
                out.push(
                    FindingClass::OrderWithoutCapture,
                    order.id.clone(),
                    Some(saga),
                    Some(order.total),
                    format!(
                        "live order {} ({}) of a booked saga; {} is not captured",
                        order.id, order.total, booking.payment_intent_id
                    ),
                );
            }
        }
        ([_, ..], []) if no_order => {
            for intent in &captures {
                out.push(
                    FindingClass::CaptureWithoutOrder,
                    intent.id.clone(),
                    Some(saga),
                    Some(received(intent)),
                    format!(
                        "{} captured {} for a booked saga whose order {} is not live",
                        intent.id,
                        received(intent),
                        booking.order_id
                    ),
                );
            }
        }
        ([], []) if no_capture && no_order => out.mismatch(
            saga,
            format!(
                "recorded a booking ({} captured, order {}); the providers show neither a capture nor a live order",
                booking.captured, booking.order_id
            ),
        ),
        ([intent], [order]) => check_booking(saga, booking, intent, order, observed, out),
        _ => {}
    }
}

/// One capture and one live order: they and the record must agree.
fn check_booking(
    saga: Uuid,
    booking: &Booked<'_>,
    intent: &PaymentIntent,
    order: &DuffelOrder,
    observed: &Observed,
    out: &mut Findings,
) {
    let taken = received(intent);
    let mut differences = Vec::new();
    if intent.id != booking.payment_intent_id {
        differences.push(format!(
            "the capture is on {}, the saga recorded {}",
            intent.id, booking.payment_intent_id
        ));
    }
    if order.id != booking.order_id {
        differences.push(format!(
            "the live order is {}, the saga recorded {}",
            order.id, booking.order_id
        ));
    }
    if taken != booking.captured {
        differences.push(format!(
            "captured {taken}, the saga recorded {}",
            booking.captured
        ));
    }
    if order.total != booking.order_amount {
        differences.push(format!(
            "the order totals {}, the saga recorded {}",
            order.total, booking.order_amount
        ));
    }
    if order.total != taken {
        differences.push(format!(
            "the order totals {}, captured {taken}",
            order.total
        ));
    }
    if let Some(refunds) = observed.refunds.get(&intent.id) {
        let refunded = refunded_minor(refunds);
        if refunded != 0 {
            differences.push(format!(
                "{} refunded on a booking that was not cancelled",
                Money::new(refunded, taken.currency)
            ));
        }
    }
    if !differences.is_empty() {
        out.mismatch(saga, differences.join("; "));
    }
}

/// A cancelled saga's one capture against what it recorded charged and
/// refunded (refunds judged only when all of the intent's are known).
fn check_charge(
    saga: Uuid,
    intent: &PaymentIntent,
    charged: &Money,
    refunded_minor_recorded: i64,
    observed: &Observed,
    out: &mut Findings,
) {
    let taken = received(intent);
    let mut differences = Vec::new();
    if taken != *charged {
        differences.push(format!("captured {taken}, the saga recorded {charged}"));
    }
    if let Some(refunds) = observed.refunds.get(&intent.id) {
        let refunded = refunded_minor(refunds);
        if refunded != refunded_minor_recorded {
            differences.push(format!(
                "refunded {}, the saga recorded {}",
                Money::new(refunded, taken.currency),
                Money::new(refunded_minor_recorded, taken.currency)
            ));
        }
    }
    if !differences.is_empty() {
        out.mismatch(saga, differences.join("; "));
    }
}

/// What an intent captured, in its currency.
fn received(intent: &PaymentIntent) -> Money {
    Money::new(intent.amount_received, intent.amount.currency)
}

/// Findings as they are made, each (class, subject) once.
#[derive(Default)]
struct Findings {
    judgement: Judgement,
    seen: BTreeSet<(FindingClass, String)>,
}

impl Findings {
    fn push(
        &mut self,
        class: FindingClass,
        subject: String,
        saga_id: Option<Uuid>,
        amount: Option<Money>,
        detail: String,
    ) {
        if self.seen.insert((class, subject.clone())) {
            self.judgement.findings.push(Finding {
                class,
                subject,
                saga_id,
                amount,
                detail,
            });
        }
    }

    fn orphan(&mut self, intent: &PaymentIntent) {
        let held = Money::new(intent.amount_capturable, intent.amount.currency);
        let saga = saga_named(&intent.metadata);
        if self
            .seen
            .contains(&(FindingClass::OrphanHold, intent.id.clone()))
        {
            return;
        }
        self.push(
            FindingClass::OrphanHold,
            intent.id.clone(),
            saga,
            Some(held),
            format!("{} holds {held} and no saga counts on it", intent.id),
        );
        self.judgement.releases.push(Release {
            payment_intent_id: intent.id.clone(),
            saga_id: saga,
            amount: held,
        });
    }

    fn capture_on_compensated(&mut self, saga: Uuid, intent: &PaymentIntent, how: &str) {
        let taken = received(intent);
        self.push(
            FindingClass::CaptureOnCompensatedSaga,
            intent.id.clone(),
            Some(saga),
            Some(taken),
            format!("{} captured {taken} for a saga that {how}", intent.id),
        );
    }

    fn order_on_compensated(&mut self, saga: Uuid, order: &DuffelOrder, how: &str) {
        self.push(
            FindingClass::OrderOnCompensatedSaga,
            order.id.clone(),
            Some(saga),
            Some(order.total),
            format!(
                "live order {} ({}) of a saga that {how}",
                order.id, order.total
            ),
        );
    }

    fn double_capture(&mut self, saga: Uuid, captures: &[&PaymentIntent]) {
        let ids: Vec<String> = captures
            .iter()
            .map(|i| format!("{} ({})", i.id, received(i)))
            .collect();
        self.push(
            FindingClass::DoubleCapture,
            saga.to_string(),
            Some(saga),
            None,
            format!("{} captured intents: {}", captures.len(), ids.join(", ")),
        );
    }

    fn mismatch(&mut self, saga: Uuid, detail: String) {
        self.push(
            FindingClass::AmountMismatch,
            saga.to_string(),
            Some(saga),
            None,
            detail,
        );
    }

    fn done(self) -> Judgement {
        self.judgement
    }
}

#[cfg(test)]
mod tests;
