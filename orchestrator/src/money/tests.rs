//! What each phase means for reconciliation: the objects a saga counts on,
//! and what a finished one recorded.

use std::collections::BTreeSet;

use autobook_contracts::Step;
use autobook_contracts::events::{NotificationSent, PaymentRefunded};

use super::{BookedObjects, Standing, standing};
use crate::saga::Saga;
use crate::saga::state::{Hold, Phase};
use crate::saga::tests::fixtures::*;

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn open(saga: &Saga) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    match standing(saga, None) {
        Standing::Open {
            intents,
            orders,
            pending_keys,
        } => (intents, orders, pending_keys),
        other => panic!("expected an open saga, got {other:?}"),
    }
}

#[test]
fn a_booked_saga_records_its_capture_and_its_order() {
    assert_eq!(
        standing(&booked(), None),
        Standing::Booked {
            payment_intent_id: "pi_1".into(),
            order_id: "ord_1".into(),
            captured: usd(40000),
            order_amount: usd(40000),
        }
    );
}

#[test]
fn failed_and_aborted_sagas_count_on_nothing() {
    let failed = standing(&failed(), None);
    assert_eq!(failed, Standing::Failed);
    assert!(!failed.counts_on_intent("pi_1", None));
    let mut aborted = ordering();
    aborted.phase = Phase::Aborted {
        problem: "p".into(),
        operator: "ana".into(),
        reason: "settled by hand".into(),
    };
    assert_eq!(standing(&aborted, None), Standing::Aborted);
}

#[test]
fn a_cancelled_saga_records_what_it_charged_and_refunded_and_its_booking() {
    let refunded = apply(
        &refunding(),
        PaymentRefunded {
            idempotency_key: key(Step::Refund, 1),
            refund_id: "re_1".into(),
            amount: usd(30000),
        },
    )
    .saga;
    let cancelled = apply(
        &refunded,
        NotificationSent {
            idempotency_key: pending(&refunded),
            email_id: "em".into(),
        },
    )
    .saga;
    let objects = BookedObjects {
        payment_intent_id: "pi_1".into(),
        order_id: "ord_1".into(),
    };
    let standing = standing(&cancelled, Some(objects.clone()));
    assert_eq!(
        standing,
        Standing::Cancelled {
            charged: Some(usd(40000)),
            refunded: Some(usd(30000)),
            booking: Some(objects),
        }
    );
    assert!(!standing.counts_on_intent("pi_1", None));
    assert_eq!(
        super::standing(&cancelled_before_booking(), None),
        Standing::Cancelled {
            charged: None,
            refunded: None,
            booking: None,
        }
    );
}

/// Cancelled while searching: nothing was booked.
fn cancelled_before_booking() -> Saga {
    cancelled()
}

#[test]
fn a_step_in_flight_counts_on_what_its_pending_key_makes() {
    let authorizing = authorizing();
    let (intents, orders, keys) = open(&authorizing);
    let authorize = key(Step::Authorize, 1);
    assert!(intents.is_empty() && orders.is_empty());
    assert_eq!(keys, set(&[authorize.as_str()]));
    let standing = standing(&authorizing, None);
    assert!(standing.counts_on_intent("pi_new", Some(authorize.as_str())));
    assert!(!standing.counts_on_intent("pi_new", Some(key(Step::Authorize, 2).as_str())));
    assert!(!standing.counts_on_intent("pi_new", None));
}

#[test]
fn holds_and_orders_in_hand_are_counted_on() {
    let (intents, orders, _) = open(&ordering());
    assert_eq!((intents, orders), (set(&["pi_1"]), set(&[])));
    let (intents, orders, _) = open(&capturing());
    assert_eq!((intents, orders), (set(&["pi_1"]), set(&["ord_1"])));
    let (intents, orders, _) = open(&releasing_hold());
    assert_eq!((intents, orders), (set(&["pi_1"]), set(&[])));
    let (intents, orders, _) = open(&cancelling_order());
    assert_eq!((intents, orders), (set(&["pi_1"]), set(&["ord_1"])));
    for booking in [cancelling_booking(), refunding(), notifying_booked()] {
        let (intents, orders, _) = open(&booking);
        assert_eq!((intents, orders), (set(&["pi_1"]), set(&["ord_1"])));
    }
    assert!(standing(&ordering(), None).counts_on_intent("pi_1", None));
    assert!(!standing(&ordering(), None).counts_on_intent("pi_2", None));
}

#[test]
fn paused_and_unknown_steps_count_on_the_step_they_wait_on() {
    let authorize = key(Step::Authorize, 1);
    let paused = deferred(&authorizing());
    assert_eq!(status(&paused), "paused");
    assert_eq!(open(&paused).2, set(&[authorize.as_str()]));
    let unknown = apply(&authorizing(), unknown(authorize.clone(), Step::Authorize)).saga;
    assert_eq!(status(&unknown), "outcome_unknown");
    assert_eq!(open(&unknown).2, set(&[authorize.as_str()]));
    let paused_capture = deferred(&capturing());
    let (intents, orders, _) = open(&paused_capture);
    assert_eq!((intents, orders), (set(&["pi_1"]), set(&["ord_1"])));
}

#[test]
fn a_stuck_saga_counts_on_its_hold_its_order_and_the_step_it_resumes() {
    let mut stuck = authorizing();
    stuck.phase = Phase::Stuck {
        problem: "outcome unknown".into(),
        hold: Some(Hold {
            payment_intent_id: "pi_9".into(),
            amount: usd(100),
        }),
        order: None,
        resume: Some(Box::new(authorizing().phase)),
    };
    let (intents, orders, keys) = open(&stuck);
    assert_eq!(intents, set(&["pi_9"]));
    assert!(orders.is_empty());
    assert_eq!(keys, set(&[key(Step::Authorize, 1).as_str()]));
}
