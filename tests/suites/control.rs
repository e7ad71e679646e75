//! People stay in control, against the real system: the kill switch thrown
//! mid-run moves no money after it and its release resumes every saga; an
//! unreachable flag store moves nothing and fails nothing; a hold about to
//! lapse is dealt with before it lapses; a cancel while a hold exists
//! releases it.

use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::saga::Phase;
use autobook_sandbox::Ledger;
use autobook_tests::control::{USER, belongs, held, throw_switch};
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn, spawn_with};
use autobook_workers::WorkerKind;

/// What the providers hold of one saga: its payment intents and orders.
fn money_of(ledger: &Ledger, id: Uuid) -> (usize, usize, usize) {
    let intents: Vec<_> = ledger
        .payment_intents
        .iter()
        .filter(|i| belongs(&i.metadata, id))
        .collect();
    let captured = intents.iter().filter(|i| i.amount_received > 0).count();
    let orders = ledger
        .orders
        .iter()
        .filter(|o| belongs(&o.metadata, id))
        .count();
    (intents.len(), orders, captured)
}

/// Waits until the saga is paused or finished (both announced).
async fn settled(system: &TestSystem, id: Uuid) -> String {
    system
        .until(id, "paused or finished", |row| {
            row.status == "paused" || row.saga.phase.is_terminal()
        })
        .await
        .status
}

#[tokio::test]
async fn the_kill_switch_thrown_mid_run_moves_no_money_after_it_and_its_release_resumes_all() {
    let system = spawn().await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(system.submit(trip()).await);
    }
    throw_switch(&system, true).await;
    // Trips arriving now pause before they search.
    for _ in 0..4 {
        let id = system.submit(trip()).await;
        assert_eq!(settled(&system, id).await, "paused");
        ids.push(id);
    }
    let mut paused = 0;
    for id in &ids {
        if settled(&system, *id).await == "paused" {
            paused += 1;
        }
    }
    assert!(paused >= 4, "sagas pause, they do not fail");
    // Every paused saga stopped before its step: nothing of that step exists.
    let frozen = system.ledger();
    for id in &ids {
        let row = system.saga(*id).await.unwrap();
        let Phase::Paused { waiting, .. } = &row.saga.phase else {
            assert_eq!(row.status, "booked", "{id}: only booked or paused");
            continue;
        };
        let (intents, orders, captured) = money_of(&frozen, *id);
        match waiting.status() {
            "searching" | "authorizing" => assert_eq!((intents, orders), (0, 0), "{id}"),
            "ordering" => assert_eq!((intents, orders, captured), (1, 0, 0), "{id}"),
            "capturing" => assert_eq!((intents, orders, captured), (1, 1, 0), "{id}"),
            other => panic!("{id}: paused before {other}"),
        }
    }
    // Still thrown: one more trip pauses, and nothing has moved meanwhile.
    let late = system.submit(trip()).await;
    assert_eq!(settled(&system, late).await, "paused");
    ids.push(late);
    let still = system.ledger();
    assert_eq!(
        still.payment_intents, frozen.payment_intents,
        "no money moved"
    );
    assert_eq!(still.orders, frozen.orders, "no order was made");

    throw_switch(&system, false).await;
    let mut phases = Vec::new();
    for id in &ids {
        let row = system.finished(*id).await;
        assert_eq!(row.status, "booked", "{id} resumed and booked");
        phases.push((*id, row.saga.phase));
    }
    let report = autobook_harness::reconcile::reconcile(&phases, &system.ledger());
    assert!(report.ok, "{report:?}");
    system.teardown().await;
}

#[tokio::test]
async fn with_the_flag_store_unreachable_nothing_moves_and_nothing_fails() {
    let system = spawn_with(|config| {
        config.flags_database_url = Some("postgres://postgres@127.0.0.1:1/nowhere".into());
        config.flags.startup_wait = Duration::from_millis(100);
    })
    .await;
    assert!(!system.stack().flags.decide(USER).money_may_move());
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(system.submit(trip()).await);
    }
    for id in &ids {
        let row = system.reaches(*id, "paused").await;
        let Phase::Paused { reason, .. } = &row.saga.phase else {
            unreachable!()
        };
        assert_eq!(reason, "unavailable");
    }
    let ledger = system.ledger();
    assert!(ledger.payment_intents.is_empty() && ledger.orders.is_empty());
    system.teardown().await;
}

/// A system whose order worker is not running yet: an order command waits
/// in its queue until [`start_order_worker`].
async fn spawn_without_order_worker() -> TestSystem {
    spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Payment, WorkerKind::Notify];
    })
    .await
}

#[tokio::test]
async fn a_hold_about_to_lapse_is_dealt_with_before_it_lapses() {
    // Paused before the capture: the order exists, the hold waits.
    let system = spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Notify];
    })
    .await;
    let stack = system.stack();
    let payment = stack.start_workers(&[WorkerKind::Payment]);
    let id = held(&system).await;
    payment.stop().await.unwrap();
    let mut ordered = system.observe(&["order.created"]).await;
    let _order = stack.start_workers(&[WorkerKind::Order]);
    let event = ordered
        .next(Duration::from_secs(30))
        .await
        .expect("ordered");
    assert_eq!(event.saga_id, id);
    // The capture waits in its queue while the switch is thrown.
    throw_switch(&system, true).await;
    let _payment = stack.start_workers(&[WorkerKind::Payment]);
    let paused = system.reaches(id, "paused").await;
    assert!(
        matches!(&paused.saga.phase, Phase::Paused { waiting, .. } if waiting.status() == "capturing")
    );
    assert_eq!(
        money_of(&system.ledger(), id),
        (1, 1, 0),
        "held and ordered, not captured"
    );
    // Six days on, a day before the card network would let the hold lapse:
    // the order is cancelled and the hold released, not left to lapse.
    stack.advance_clock(Duration::from_secs(6 * 24 * 3600 + 60));
    let row = system.finished(id).await;
    assert!(
        matches!(
            row.saga.phase,
            Phase::Failed {
                reason: FailureReason::HoldLapsing,
                notified: true
            }
        ),
        "{:?}",
        row.saga.phase
    );
    let ledger = system.ledger();
    let intent = ledger
        .payment_intents
        .iter()
        .find(|i| belongs(&i.metadata, id))
        .unwrap();
    assert_eq!(intent.status, "canceled", "released by us, not lapsed");
    assert_eq!(intent.amount_received, 0);
    assert!(
        ledger.orders.iter().all(|o| o.cancelled),
        "the order is cancelled"
    );
    let report = autobook_harness::reconcile::reconcile(&[(id, row.saga.phase)], &ledger);
    assert!(report.ok, "{report:?}");
    system.teardown().await;
}

#[tokio::test]
async fn a_cancel_while_a_hold_exists_voids_it() {
    let system = spawn_without_order_worker().await;
    let id = held(&system).await;
    throw_switch(&system, true).await;
    let _order = system.stack().start_workers(&[WorkerKind::Order]);
    system.reaches(id, "paused").await;
    system.cancel(id).await;
    let row = system.reaches(id, "cancelled").await;
    assert!(matches!(
        row.saga.phase,
        Phase::Cancelled {
            charged: None,
            refunded: None,
            notified: true,
            ..
        }
    ));
    let ledger = system.ledger();
    let intent = ledger
        .payment_intents
        .iter()
        .find(|i| belongs(&i.metadata, id))
        .unwrap();
    assert_eq!(intent.status, "canceled");
    assert!(ledger.orders.is_empty());
    system.teardown().await;
}

#[tokio::test]
async fn a_cancel_racing_the_order_cancels_what_the_order_made() {
    let system = spawn_without_order_worker().await;
    let id = held(&system).await;
    // The cancel arrives while the order command waits: the order is made
    // anyway when the worker comes, then cancelled, and the hold released.
    let cancel = system.cancel_envelope(id).await;
    system.handled(cancel.message_id).await;
    let noted = system.saga(id).await.unwrap();
    assert!(noted.saga.cancel_requested && noted.status == "ordering");
    let _order = system.stack().start_workers(&[WorkerKind::Order]);
    let row = system.reaches(id, "cancelled").await;
    let ledger = system.ledger();
    let order = ledger
        .orders
        .iter()
        .find(|o| belongs(&o.metadata, id))
        .expect("the order was made before the cancel applied");
    assert!(order.cancelled);
    let intent = ledger
        .payment_intents
        .iter()
        .find(|i| belongs(&i.metadata, id))
        .unwrap();
    assert_eq!(intent.status, "canceled");
    assert_eq!(intent.amount_received, 0);
    let report = autobook_harness::reconcile::reconcile(&[(id, row.saga.phase)], &ledger);
    assert!(report.ok, "{report:?}");
    system.teardown().await;
}
