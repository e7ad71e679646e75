//! Every mismatch class is found, the safe repair is proposed only for
//! orphaned holds, and clean, young or in-flight sagas give nothing.

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

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

/// Created an hour before `now`: well past the grace.
fn old() -> DateTime<Utc> {
    now() - chrono::Duration::hours(1)
}

/// Created a minute before `now`: within the grace.
fn young() -> DateTime<Utc> {
    now() - chrono::Duration::minutes(1)
}

fn judging() -> Judging {
    Judging {
        now: now(),
        grace: Duration::from_secs(15 * 60),
    }
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn saga(n: u128) -> Uuid {
    Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + n)
}

fn meta(saga: Uuid, key: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("saga_id".to_owned(), saga.to_string()),
        ("idempotency_key".to_owned(), key.to_owned()),
    ])
}

fn intent(id: &str, saga: Uuid, status: PaymentIntentStatus, amount: i64) -> PaymentIntent {
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

fn held(id: &str, saga: Uuid, amount: i64) -> PaymentIntent {
    intent(id, saga, PaymentIntentStatus::RequiresCapture, amount)
}

fn taken(id: &str, saga: Uuid, amount: i64) -> PaymentIntent {
    intent(id, saga, PaymentIntentStatus::Succeeded, amount)
}

fn released(id: &str, saga: Uuid, amount: i64) -> PaymentIntent {
    intent(id, saga, PaymentIntentStatus::Canceled, amount)
}

fn order(id: &str, saga: Uuid, total: i64, cancelled: bool) -> DuffelOrder {
    DuffelOrder {
        id: id.into(),
        booking_reference: "RZPNX8".into(),
        total: usd(total),
        metadata: meta(saga, &format!("{saga}:order:1")),
        cancelled,
        created_at: Some(old()),
    }
}

fn refund(id: &str, intent: &str, amount: i64, status: &str) -> Refund {
    Refund {
        id: id.into(),
        amount: usd(amount),
        status: status.into(),
        payment_intent: Some(intent.into()),
        metadata: BTreeMap::new(),
        created: old().timestamp(),
    }
}

fn booked(saga: Uuid, pi: &str, order: &str, amount: i64) -> MoneyRecord {
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

fn record(saga: Uuid, status: &'static str, standing: Standing) -> MoneyRecord {
    MoneyRecord {
        saga_id: saga,
        status,
        standing,
    }
}

fn open(saga: Uuid, intents: &[&str], keys: &[&str]) -> MoneyRecord {
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

fn cancelled(saga: Uuid, charged: Option<i64>, refunded: Option<i64>) -> MoneyRecord {
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
struct World {
    observed: Observed,
    ours: Ours,
}

impl World {
    fn intent(mut self, intent: PaymentIntent) -> Self {
        self.observed.intents.insert(intent.id.clone(), intent);
        self
    }

    fn order(mut self, order: DuffelOrder) -> Self {
        self.observed.orders.insert(order.id.clone(), order);
        self
    }

    fn refunds(mut self, intent: &str, refunds: Vec<Refund>) -> Self {
        self.observed.refunds.insert(intent.into(), refunds);
        self
    }

    fn record(mut self, record: MoneyRecord) -> Self {
        self.ours.records.insert(record.saga_id, record);
        self
    }

    fn unreadable(mut self, saga: Uuid) -> Self {
        self.ours.unreadable.insert(saga);
        self
    }

    /// The findings as (class, subject), and the releases proposed.
    fn judge(&self) -> (Vec<(FindingClass, String)>, Vec<Release>) {
        let judgement = compare(&self.observed, &self.ours, &judging());
        let found = judgement
            .findings
            .iter()
            .map(|f| (f.class, f.subject.clone()))
            .collect();
        (found, judgement.releases)
    }

    fn classes(&self) -> Vec<FindingClass> {
        self.judge().0.into_iter().map(|(class, _)| class).collect()
    }
}

fn a_clean_booking(s: Uuid) -> World {
    World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, false))
        .refunds("pi_1", vec![])
}

#[test]
fn a_clean_booking_and_its_released_earlier_hold_give_nothing() {
    let s = saga(1);
    let world = a_clean_booking(s).intent(released("pi_0", s, 40000));
    assert_eq!(world.judge(), (vec![], vec![]));
}

#[test]
fn an_old_hold_of_a_finished_saga_is_an_orphan_to_release() {
    let s = saga(1);
    let world = World::default()
        .record(record(s, "failed", Standing::Failed))
        .intent(held("pi_h", s, 12000));
    let (found, releases) = world.judge();
    assert_eq!(found, vec![(FindingClass::OrphanHold, "pi_h".into())]);
    assert_eq!(
        releases,
        vec![Release {
            payment_intent_id: "pi_h".into(),
            saga_id: Some(s),
            amount: usd(12000),
        }]
    );
    // A booked saga counts on its own intent only: an earlier hold is orphaned.
    let booked = a_clean_booking(saga(2)).intent(held("pi_e", saga(2), 100));
    assert_eq!(
        booked.judge().0,
        vec![(FindingClass::OrphanHold, "pi_e".into())]
    );
    // An operator's aborted saga counts on nothing either.
    let aborted = World::default()
        .record(record(s, "aborted", Standing::Aborted))
        .intent(held("pi_h", s, 1))
        .intent(taken("pi_t", s, 1));
    assert_eq!(
        aborted.judge().0,
        vec![(FindingClass::OrphanHold, "pi_h".into())]
    );
}

#[test]
fn a_hold_of_a_saga_with_no_record_is_an_orphan_too() {
    let world = World::default().intent(held("pi_h", saga(9), 500));
    let (found, releases) = world.judge();
    assert_eq!(found, vec![(FindingClass::OrphanHold, "pi_h".into())]);
    assert_eq!(releases.len(), 1);
}

#[test]
fn holds_that_are_young_counted_on_or_not_ours_are_left_alone() {
    let s = saga(1);
    let mut young_hold = held("pi_y", s, 100);
    young_hold.created = young().timestamp();
    let mut foreign = held("pi_f", s, 100);
    foreign.metadata.remove("idempotency_key");
    let mut no_saga = held("pi_n", s, 100);
    no_saga.metadata.remove("saga_id");
    let key = format!("{s}:authorize:2");
    let mut in_flight = held("pi_k", s, 100);
    in_flight
        .metadata
        .insert("idempotency_key".into(), key.clone());
    let world = World::default()
        .record(open(s, &["pi_held"], &[&key]))
        .intent(young_hold)
        .intent(foreign)
        .intent(no_saga)
        .intent(in_flight)
        .intent(held("pi_held", s, 100));
    assert_eq!(world.judge(), (vec![], vec![]));
    // Counted on by id by another saga than the one its metadata names.
    let other = World::default()
        .record(open(saga(2), &["pi_x"], &[]))
        .record(record(s, "failed", Standing::Failed))
        .intent(held("pi_x", s, 100));
    assert_eq!(other.judge(), (vec![], vec![]));
}

#[test]
fn an_unreadable_saga_is_reported_and_its_hold_kept() {
    let s = saga(1);
    let world = World::default()
        .unreadable(s)
        .intent(held("pi_h", s, 100))
        .intent(taken("pi_t", s, 100));
    assert_eq!(
        world.judge(),
        (vec![(FindingClass::UnreadableSaga, s.to_string())], vec![])
    );
}

#[test]
fn captures_and_live_orders_of_a_failed_saga_are_found() {
    let s = saga(1);
    let world = World::default()
        .record(record(s, "failed", Standing::Failed))
        .intent(taken("pi_t", s, 100))
        .order(order("ord_l", s, 100, false))
        .order(order("ord_c", s, 100, true));
    assert_eq!(
        world.judge().0,
        vec![
            (FindingClass::CaptureOnCompensatedSaga, "pi_t".into()),
            (FindingClass::OrderOnCompensatedSaga, "ord_l".into()),
        ]
    );
}

#[test]
fn a_cancelled_saga_with_what_it_recorded_gives_nothing() {
    let s = saga(1);
    let world = World::default()
        .record(cancelled(s, Some(40000), Some(30000)))
        .intent(taken("pi_b", s, 40000))
        .order(order("ord_b", s, 40000, true))
        .refunds("pi_b", vec![refund("re_1", "pi_b", 30000, "succeeded")]);
    assert_eq!(world.judge(), (vec![], vec![]));
    let before_booking = World::default()
        .record(cancelled(s, None, None))
        .intent(released("pi_0", s, 100));
    assert_eq!(before_booking.judge(), (vec![], vec![]));
}

#[test]
fn a_cancelled_saga_that_disagrees_with_the_providers_is_found() {
    let s = saga(1);
    let charged_without_record = World::default()
        .record(cancelled(s, None, None))
        .intent(taken("pi_t", s, 100))
        .order(order("ord_l", s, 100, false));
    assert_eq!(
        charged_without_record.judge().0,
        vec![
            (FindingClass::OrderOnCompensatedSaga, "ord_l".into()),
            (FindingClass::CaptureOnCompensatedSaga, "pi_t".into()),
        ]
    );
    let refund_differs = World::default()
        .record(cancelled(s, Some(40000), Some(30000)))
        .intent(taken("pi_b", s, 40000))
        .refunds(
            "pi_b",
            vec![
                refund("re_1", "pi_b", 20000, "succeeded"),
                refund("re_2", "pi_b", 10000, "failed"),
            ],
        );
    assert_eq!(refund_differs.classes(), vec![FindingClass::AmountMismatch]);
    let charge_differs = World::default()
        .record(cancelled(s, Some(40000), None))
        .intent(taken("pi_b", s, 39000));
    assert_eq!(charge_differs.classes(), vec![FindingClass::AmountMismatch]);
    let charged_twice = World::default()
        .record(cancelled(s, Some(40000), None))
        .intent(taken("pi_b", s, 40000))
        .intent(taken("pi_2", s, 40000));
    assert_eq!(charged_twice.classes(), vec![FindingClass::DoubleCapture]);
    let never_captured = World::default()
        .record(cancelled(s, Some(40000), None))
        .intent(released("pi_b", s, 40000));
    assert_eq!(never_captured.classes(), vec![FindingClass::AmountMismatch]);
}

#[test]
fn refunds_that_are_not_known_are_not_judged() {
    let s = saga(1);
    let world = World::default()
        .record(cancelled(s, Some(40000), Some(30000)))
        .intent(taken("pi_b", s, 40000));
    assert_eq!(world.judge(), (vec![], vec![]));
    // Nor is a charge whose intent could not be read.
    let unread = World::default().record(cancelled(s, Some(40000), None));
    assert_eq!(unread.judge(), (vec![], vec![]));
}

#[test]
fn a_booked_order_without_its_capture_is_found() {
    let s = saga(1);
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(released("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(
        world.judge().0,
        vec![(FindingClass::OrderWithoutCapture, "ord_1".into())]
    );
}

#[test]
fn a_booked_capture_without_its_order_is_found() {
    let s = saga(1);
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, true));
    assert_eq!(
        world.judge().0,
        vec![(FindingClass::CaptureWithoutOrder, "pi_1".into())]
    );
}

#[test]
fn a_booking_the_providers_do_not_show_at_all_is_a_mismatch() {
    let s = saga(1);
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(released("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, true));
    assert_eq!(world.classes(), vec![FindingClass::AmountMismatch]);
}

#[test]
fn nothing_is_taken_as_absent_unless_it_was_read() {
    let s = saga(1);
    // The capture and the order the saga recorded were not read (an
    // incomplete listing, a failed look-up): no finding rests on them.
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(world.judge(), (vec![], vec![]));
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000));
    assert_eq!(world.judge(), (vec![], vec![]));
}

#[test]
fn every_amount_and_identity_of_a_booking_must_agree() {
    let s = saga(1);
    let capture_differs = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 39000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(
        capture_differs.classes(),
        vec![FindingClass::AmountMismatch]
    );
    let order_differs = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 41000, false));
    assert_eq!(order_differs.classes(), vec![FindingClass::AmountMismatch]);
    let other_intent = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(released("pi_1", s, 40000))
        .intent(taken("pi_2", s, 40000))
        .order(order("ord_1", s, 40000, false));
    assert_eq!(other_intent.classes(), vec![FindingClass::AmountMismatch]);
    let other_order = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(taken("pi_1", s, 40000))
        .order(order("ord_1", s, 40000, true))
        .order(order("ord_2", s, 40000, false));
    assert_eq!(other_order.classes(), vec![FindingClass::AmountMismatch]);
    let refunded = a_clean_booking(s).refunds("pi_1", vec![refund("re", "pi_1", 5, "pending")]);
    assert_eq!(refunded.classes(), vec![FindingClass::AmountMismatch]);
    let failed_refund = a_clean_booking(s).refunds("pi_1", vec![refund("re", "pi_1", 5, "failed")]);
    assert_eq!(failed_refund.judge(), (vec![], vec![]));
}

#[test]
fn two_captures_or_two_live_orders_for_one_saga_are_found() {
    let s = saga(1);
    let twice = a_clean_booking(s).intent(taken("pi_2", s, 40000));
    assert_eq!(
        twice.judge().0,
        vec![(FindingClass::DoubleCapture, s.to_string())]
    );
    let two_orders = a_clean_booking(s).order(order("ord_2", s, 40000, false));
    assert_eq!(
        two_orders.judge().0,
        vec![(FindingClass::DoubleOrder, s.to_string())]
    );
}

#[test]
fn objects_naming_a_saga_with_no_record_are_found() {
    let ghost = saga(7);
    let world = World::default()
        .intent(taken("pi_t", ghost, 100))
        .intent(released("pi_c", ghost, 100))
        .order(order("ord_l", ghost, 100, false))
        .order(order("ord_c", ghost, 100, true));
    assert_eq!(
        world.judge().0,
        vec![
            (FindingClass::UnknownSaga, "pi_t".into()),
            (FindingClass::UnknownSaga, "ord_l".into()),
        ]
    );
}

#[test]
fn young_objects_and_sagas_in_flight_are_not_findings() {
    let s = saga(1);
    let mut young_capture = taken("pi_2", s, 40000);
    young_capture.created = young().timestamp();
    let judged_later = a_clean_booking(s).intent(young_capture);
    assert_eq!(judged_later.judge(), (vec![], vec![]));
    let mut young_order = order("ord_l", saga(7), 100, false);
    young_order.created_at = Some(young());
    let young_ghost = World::default().order(young_order);
    assert_eq!(young_ghost.judge(), (vec![], vec![]));
    let in_flight = World::default()
        .record(open(s, &["pi_1"], &[]))
        .intent(taken("pi_1", s, 40000))
        .intent(taken("pi_2", s, 40000));
    assert_eq!(in_flight.judge(), (vec![], vec![]));
}

#[test]
fn a_young_object_does_not_hide_the_old_ones_of_its_saga() {
    let s = saga(1);
    let mut young_hold = held("pi_y", s, 100);
    young_hold.created = young().timestamp();
    let world = World::default()
        .record(record(s, "failed", Standing::Failed))
        .intent(young_hold)
        .intent(taken("pi_t", s, 100));
    assert_eq!(
        world.judge().0,
        vec![(FindingClass::CaptureOnCompensatedSaga, "pi_t".into())]
    );
}

#[test]
fn a_saga_whose_recorded_objects_are_young_is_not_judged_yet() {
    let s = saga(1);
    let mut just_captured = taken("pi_1", s, 40000);
    just_captured.created = young().timestamp();
    let world = World::default()
        .record(booked(s, "pi_1", "ord_1", 40000))
        .intent(just_captured)
        .order(order("ord_1", s, 40000, true))
        .order(order("ord_2", s, 40000, false))
        .order(order("ord_3", s, 40000, false));
    assert_eq!(world.judge(), (vec![], vec![]));
}

#[test]
fn objects_that_name_no_saga_are_not_ours_to_judge() {
    let mut foreign = taken("pi_x", saga(1), 100);
    foreign.metadata.clear();
    let mut foreign_order = order("ord_x", saga(1), 100, false);
    foreign_order.metadata.clear();
    let world = World::default().intent(foreign).order(foreign_order);
    assert_eq!(world.judge(), (vec![], vec![]));
}
