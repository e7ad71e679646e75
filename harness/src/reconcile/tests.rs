//! Reconciliation catches every kind of disagreement, and passes clean runs.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use autobook_contracts::codes::{AirlineCode, PlaceCode};
use autobook_contracts::money::{Currency, Money};
use autobook_contracts::notification::FailureReason;
use autobook_contracts::offer::{OfferSlice, OfferSummary};
use autobook_contracts::trip::CabinClass;
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::saga::state::{Booking, OrderRef};
use autobook_sandbox::{Ledger, LedgerOrder, LedgerPaymentIntent};

use super::reconcile;

fn saga() -> Uuid {
    Uuid::now_v7()
}

fn meta(id: Uuid) -> BTreeMap<String, String> {
    BTreeMap::from([("saga_id".to_owned(), id.to_string())])
}

fn intent(id: &str, saga: Uuid, status: &str, amount: i64, received: i64) -> LedgerPaymentIntent {
    LedgerPaymentIntent {
        id: id.into(),
        amount,
        currency: "usd".into(),
        status: status.into(),
        capture_method: "manual".into(),
        amount_capturable: if status == "requires_capture" {
            amount
        } else {
            0
        },
        amount_received: received,
        amount_refunded: 0,
        payment_method: Some("pm_card_visa".into()),
        customer: None,
        metadata: meta(saga),
        cancellation_reason: None,
        created: 0,
    }
}

fn order(id: &str, saga: Uuid, total: i64, cancelled: bool) -> LedgerOrder {
    LedgerOrder {
        id: id.into(),
        offer_id: "off_1".into(),
        booking_reference: "ABC123".into(),
        total_amount: total,
        total_currency: "USD".into(),
        passenger_count: 1,
        metadata: meta(saga),
        cancelled,
        created_at: Utc::now(),
    }
}

fn booked(pi: &str, order_id: &str, amount: i64) -> Phase {
    let departing = NaiveDate::from_ymd_opt(2027, 3, 14)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let offer = OfferSummary {
        offer_id: "off_1".into(),
        total: Money::new(amount, Currency::USD),
        expires_at: Utc::now(),
        payment_required_by: None,
        owner: AirlineCode::parse("AA").unwrap(),
        owner_name: "American Airlines".into(),
        cabin_class: CabinClass::Economy,
        passenger_ids: vec!["pas_1".into()],
        slices: vec![OfferSlice {
            origin: PlaceCode::parse("JFK").unwrap(),
            destination: PlaceCode::parse("LAX").unwrap(),
            departing_at: departing,
            arriving_at: departing,
            duration_minutes: 360,
            stops: 0,
            flights: vec!["AA1".into()],
        }],
        identity_documents_required: false,
    };
    Phase::Booked {
        booking: Booking {
            order: OrderRef {
                order_id: order_id.into(),
                booking_reference: "ABC123".into(),
                amount: Money::new(amount, Currency::USD),
            },
            payment_intent_id: pi.into(),
            captured: Money::new(amount, Currency::USD),
            offer,
        },
        notified: true,
    }
}

fn failed() -> Phase {
    Phase::Failed {
        reason: FailureReason::OrderRejected,
        notified: true,
    }
}

fn kinds(sagas: &[(Uuid, Phase)], ledger: &Ledger) -> Vec<&'static str> {
    reconcile(sagas, ledger)
        .mismatches
        .into_iter()
        .map(|m| m.kind)
        .collect()
}

#[test]
fn a_clean_run_reconciles() {
    let (a, b) = (saga(), saga());
    let ledger = Ledger {
        payment_intents: vec![
            intent("pi_a", a, "succeeded", 35130, 35130),
            intent("pi_b", b, "canceled", 20000, 0),
            intent("pi_b0", b, "requires_payment_method", 20000, 0),
        ],
        orders: vec![
            order("ord_a", a, 35130, false),
            order("ord_b", b, 20000, true),
        ],
        ..Ledger::default()
    };
    let report = reconcile(
        &[(a, booked("pi_a", "ord_a", 35130)), (b, failed())],
        &ledger,
    );
    assert!(report.ok, "{:?}", report.mismatches);
}

#[test]
fn a_booking_needs_exactly_one_matching_capture() {
    let a = saga();
    let phase = booked("pi_a", "ord_a", 35130);
    let no_capture = Ledger {
        orders: vec![order("ord_a", a, 35130, false)],
        ..Ledger::default()
    };
    assert!(kinds(&[(a, phase.clone())], &no_capture).contains(&"booked_without_capture"));

    let twice = Ledger {
        payment_intents: vec![
            intent("pi_a", a, "succeeded", 35130, 35130),
            intent("pi_x", a, "succeeded", 35130, 35130),
        ],
        orders: vec![order("ord_a", a, 35130, false)],
        ..Ledger::default()
    };
    assert!(kinds(&[(a, phase.clone())], &twice).contains(&"double_charge"));

    let short = Ledger {
        payment_intents: vec![intent("pi_a", a, "succeeded", 35130, 35129)],
        orders: vec![order("ord_a", a, 35130, false)],
        ..Ledger::default()
    };
    let found = kinds(&[(a, phase)], &short);
    assert!(
        found.contains(&"capture_mismatch") && found.contains(&"order_mismatch"),
        "{found:?}"
    );
}

#[test]
fn a_booking_needs_exactly_one_live_order() {
    let a = saga();
    let phase = booked("pi_a", "ord_a", 35130);
    let paid = || vec![intent("pi_a", a, "succeeded", 35130, 35130)];
    let none = Ledger {
        payment_intents: paid(),
        orders: vec![order("ord_a", a, 35130, true)],
        ..Ledger::default()
    };
    assert_eq!(
        kinds(&[(a, phase.clone())], &none),
        vec!["booked_without_order"]
    );
    let two = Ledger {
        payment_intents: paid(),
        orders: vec![
            order("ord_a", a, 35130, false),
            order("ord_b", a, 35130, false),
        ],
        ..Ledger::default()
    };
    assert_eq!(kinds(&[(a, phase)], &two), vec!["duplicate_order"]);
}

#[test]
fn a_failure_must_leave_no_charge_no_ticket_and_no_hold() {
    let a = saga();
    let charged = Ledger {
        payment_intents: vec![intent("pi_a", a, "succeeded", 100, 100)],
        ..Ledger::default()
    };
    assert_eq!(
        kinds(&[(a, failed())], &charged),
        vec!["charged_without_booking"]
    );
    let ticketed = Ledger {
        orders: vec![order("ord_a", a, 100, false)],
        ..Ledger::default()
    };
    assert_eq!(
        kinds(&[(a, failed())], &ticketed),
        vec!["ticket_without_payment"]
    );
    let held = Ledger {
        payment_intents: vec![intent("pi_a", a, "requires_capture", 100, 0)],
        ..Ledger::default()
    };
    assert_eq!(kinds(&[(a, failed())], &held), vec!["hold_left_behind"]);
}

#[test]
fn every_effect_must_belong_to_a_known_saga() {
    let (a, stranger) = (saga(), saga());
    let mut anonymous = intent("pi_z", a, "succeeded", 1, 1);
    anonymous.metadata.clear();
    let ledger = Ledger {
        payment_intents: vec![intent("pi_s", stranger, "succeeded", 1, 1), anonymous],
        ..Ledger::default()
    };
    assert_eq!(
        kinds(&[(a, failed())], &ledger),
        vec!["effect_of_unknown_saga", "unattributed_effect"]
    );
}

#[test]
fn open_and_stuck_sagas_are_reported() {
    let (a, b) = (saga(), saga());
    let stuck = Phase::Stuck {
        problem: "hold could not be released".into(),
        hold: None,
        order: None,
        resume: None,
    };
    let open = Phase::Searching {
        key: autobook_contracts::IdempotencyKey::derive(b, autobook_contracts::Step::Search, 1),
    };
    assert_eq!(
        kinds(&[(a, stuck), (b, open)], &Ledger::default()),
        vec!["stuck", "not_finished"]
    );
}
