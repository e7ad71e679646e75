//! The comparison, class by class: [`holds`] (orphaned holds, objects
//! naming no saga or an unknown one, young objects, sagas in flight) and
//! [`finished`] (failed, cancelled and booked sagas). The builders here
//! make the providers' objects and our records.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use autobook_contracts::money::{Currency, Money};
use autobook_orchestrator::money::{BookedObjects, MoneyRecord, Standing};
use autobook_workers::providers::{DuffelOrder, PaymentIntent, PaymentIntentStatus, Refund};

use super::{Release, compare};
use crate::finding::FindingClass;
use crate::observed::{Judging, Observed, Ours};

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

/// Created an hour before `now`: well past the grace.
pub(super) fn old() -> DateTime<Utc> {
    now() - chrono::Duration::hours(1)
}

/// Created a minute before `now`: within the grace.
pub(super) fn young() -> DateTime<Utc> {
    now() - chrono::Duration::minutes(1)
}

pub(super) fn judging() -> Judging {
    Judging {
        now: now(),
        grace: Duration::from_secs(15 * 60),
    }
}

pub(super) fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

pub(super) fn saga(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n)
}

pub(super) fn meta(saga: Uuid, key: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("saga_id".to_owned(), saga.to_string()),
        ("idempotency_key".to_owned(), key.to_owned()),
    ])
}

pub(super) fn intent(
    id: &str,
    saga: Uuid,
    status: PaymentIntentStatus,
    amount: i64,
) -> PaymentIntent {
    let (capturable, received) = match status {
        PaymentIntentStatus::RequiresCapture => (amount, 0),
        PaymentIntentStatus::Succeeded => (0, amount),
        _ => (0, 0),
    };
    PaymentIntent {
        id: id.into(),
        status,
        amount: usd(amount),
        amount_capturable: capturable,
        amount_received: received,
        metadata: meta(saga, &format!("{saga}:authorize:1")),
        cancellation_reason: None,
        created: old().timestamp(),
        customer: None,
        last_decline_code: None,
    }
}

pub(super) fn held(id: &str, saga: Uuid, amount: i64) -> PaymentIntent {
    intent(id, saga, PaymentIntentStatus::RequiresCapture, amount)
}

pub(super) fn taken(id: &str, saga: Uuid, amount: i64) -> PaymentIntent {
    intent(id, saga, PaymentIntentStatus::Succeeded, amount)
}

pub(super) fn released(id: &str, saga: Uuid, amount: i64) -> PaymentIntent {
    intent(id, saga, PaymentIntentStatus::Canceled, amount)
}

pub(super) fn order(id: &str, saga: Uuid, total: i64, cancelled: bool) -> DuffelOrder {
    DuffelOrder {
        id: id.into(),
        booking_reference: "RZPNX8".into(),
        total: usd(total),
        metadata: meta(saga, &format!("{saga}:order:1")),
        cancelled,
        created_at: Some(old()),
    }
}

pub(super) fn refund(id: &str, intent: &str, amount: i64, status: &str) -> Refund {
    Refund {
        id: id.into(),
        amount: usd(amount),
        status: status.into(),
        payment_intent: Some(intent.into()),
        metadata: BTreeMap::new(),
        created: old().timestamp(),
    }
}

pub(super) fn booked(saga: Uuid, pi: &str, order: &str, amount: i64) -> MoneyRecord {
    MoneyRecord {
        saga_id: saga,
        status: "booked",
        standing: Standing::Booked {
            payment_intent_id: pi.into(),
            order_id: order.into(),
            captured: usd(amount),
            order_amount: usd(amount),
        },
    }
}

pub(super) fn record(saga: Uuid, status: &'static str, standing: Standing) -> MoneyRecord {
    MoneyRecord {
        saga_id: saga,
        status,
        standing,
    }
}

pub(super) fn open(saga: Uuid, intents: &[&str], keys: &[&str]) -> MoneyRecord {
    let set = |items: &[&str]| -> BTreeSet<String> { items.iter().map(|s| (*s).into()).collect() };
    record(
        saga,
        "ordering",
        Standing::Open {
            intents: set(intents),
            orders: BTreeSet::new(),
            pending_keys: set(keys),
        },
    )
}

pub(super) fn cancelled(saga: Uuid, charged: Option<i64>, refunded: Option<i64>) -> MoneyRecord {
    record(
        saga,
        "cancelled",
        Standing::Cancelled {
            charged: charged.map(usd),
            refunded: refunded.map(usd),
            booking: charged.map(|_| BookedObjects {
                payment_intent_id: "pi_b".into(),
                order_id: "ord_b".into(),
            }),
        },
    )
}

/// The world: provider objects and our records.
#[derive(Default)]
pub(super) struct World {
    observed: Observed,
    ours: Ours,
}

impl World {
    pub(super) fn intent(mut self, intent: PaymentIntent) -> Self {
        self.observed.intents.insert(intent.id.clone(), intent);
        self
    }

    pub(super) fn order(mut self, order: DuffelOrder) -> Self {
        self.observed.orders.insert(order.id.clone(), order);
        self
    }

    pub(super) fn refunds(mut self, intent: &str, refunds: Vec<Refund>) -> Self {
        self.observed.refunds.insert(intent.into(), refunds);
        self
    }

    pub(super) fn record(mut self, record: MoneyRecord) -> Self {
        self.ours.records.insert(record.saga_id, record);
        self
    }

    pub(super) fn unreadable(mut self, saga: Uuid) -> Self {
        self.ours.unreadable.insert(saga);
        self
    }

    /// The findings as (class, subject), and the releases proposed.
    pub(super) fn judge(&self) -> (Vec<(FindingClass, String)>, Vec<Release>) {
        let judgement = compare(&self.observed, &self.ours, &judging());
        let found = judgement
            .findings
            .iter()
            .map(|f| (f.class, f.subject.clone()))
            .collect();
        (found, judgement.releases)
    }

    pub(super) fn classes(&self) -> Vec<FindingClass> {
        self.judge().0.into_iter().map(|(class, _)| class).collect()
    }
}

pub(super) fn a_clean_booking(s: Uuid) -> World {
    World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, false))
        .refunds("pi_1", vec![])
}

mod finished;
mod holds;
