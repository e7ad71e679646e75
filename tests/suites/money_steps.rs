//! Every money step and the order, with its answer lost after the effect
//! (a 500 the provider keeps under the key, or an answer that comes after
//! the client's timeout) while Stripe's search lags writes by a minute:
//! the provider shows exactly one effect, and the saga ends booked (or
//! failed or cancelled cleanly, for the steps that undo).
//!
//! Nothing here may lean on search: the intent is read back by the id the
//! worker recorded, refunds and orders by listing them.

use std::time::Duration;

use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::store::SagaRow;
use autobook_sandbox::{
    AuthorizationFault, Behaviour, CancellationFault, CaptureFault, CreationFault, EmailFault,
    FaultScript, Ledger, OrderFault, RefundFault, VoidFault,
};
use autobook_tests::control::belongs;
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn_with};
use uuid::Uuid;

/// The answer is lost after the effect: a 500 kept under the key, or the
/// answer held back past the client's timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lost {
    ServerError,
    Timeout,
}

const BOTH: [Lost; 2] = [Lost::ServerError, Lost::Timeout];

/// A system whose Stripe search lags a minute, whose clients time out
/// after 400 ms, and whose lost answers come after a second.
async fn spawn_lagging() -> TestSystem {
    spawn_with(|config| {
        config.sandbox.behaviour = Behaviour {
            stripe_search_lag: Duration::from_secs(60),
            ..Behaviour::default()
        };
        config.provider_timeout = Duration::from_millis(400);
        config.sandbox.faults.timeout_delay = Duration::from_secs(1);
    })
    .await
}

/// Runs one trip with `script`, waits for its end, and checks the fault
/// was met.
async fn run(system: &TestSystem, script: FaultScript) -> SagaRow {
    system.script(script);
    let id = system.submit(trip()).await;
    let row = system.finished(id).await;
    assert_eq!(
        system.stack().sandbox.remaining_script(),
        FaultScript::default(),
        "the fault was met"
    );
    row
}

/// What the providers hold for one saga: intents, orders, refunds, emails.
struct Effects {
    intents: usize,
    holds_left: usize,
    captured: usize,
    live_orders: usize,
    orders: usize,
    refunds: usize,
}

fn effects(ledger: &Ledger, id: Uuid) -> Effects {
    let intents: Vec<_> = ledger
        .payment_intents
        .iter()
        .filter(|i| belongs(&i.metadata, id))
        .collect();
    let intent_ids: Vec<&str> = intents.iter().map(|i| i.id.as_str()).collect();
    let orders: Vec<_> = ledger
        .orders
        .iter()
        .filter(|o| belongs(&o.metadata, id))
        .collect();
    Effects {
        intents: intents.len(),
        holds_left: intents
            .iter()
            .filter(|i| i.status == "requires_capture")
            .count(),
        captured: intents.iter().filter(|i| i.amount_received > 0).count(),
        live_orders: orders.iter().filter(|o| !o.cancelled).count(),
        orders: orders.len(),
        refunds: ledger
            .refunds
            .iter()
            .filter(|r| intent_ids.contains(&r.payment_intent.as_str()))
            .count(),
    }
}

fn assert_booked_once(system: &TestSystem, row: &SagaRow, what: &str) {
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{what}: {:?}",
        row.saga.phase
    );
    let e = effects(&system.ledger(), row.id);
    assert_eq!(
        (e.intents, e.holds_left, e.captured, e.orders, e.live_orders),
        (1, 0, 1, 1, 1),
        "{what}: one intent, captured once, one order"
    );
}

#[tokio::test]
async fn a_hold_whose_creation_or_confirmation_answer_is_lost_is_placed_once() {
    let system = spawn_lagging().await;
    for lost in BOTH {
        let creation = match lost {
            Lost::ServerError => CreationFault::ServerErrorAfterEffect,
            Lost::Timeout => CreationFault::TimeoutAfterEffect,
        };
        let row = run(
            &system,
            FaultScript {
                creations: vec![creation],
                ..FaultScript::default()
            },
        )
        .await;
        assert_booked_once(&system, &row, &format!("creation {lost:?}"));
        let confirmation = match lost {
            Lost::ServerError => AuthorizationFault::ServerErrorAfterEffect,
            Lost::Timeout => AuthorizationFault::TimeoutAfterEffect,
        };
        let row = run(
            &system,
            FaultScript {
                authorizations: vec![confirmation],
                ..FaultScript::default()
            },
        )
        .await;
        assert_booked_once(&system, &row, &format!("confirmation {lost:?}"));
    }
    system.teardown().await;
}

#[tokio::test]
async fn a_capture_and_an_order_whose_answers_are_lost_happen_once() {
    let system = spawn_lagging().await;
    for lost in BOTH {
        let capture = match lost {
            Lost::ServerError => CaptureFault::ServerErrorAfterEffect,
            Lost::Timeout => CaptureFault::TimeoutAfterEffect,
        };
        let order = match lost {
            Lost::ServerError => OrderFault::ServerErrorAfterEffect,
            Lost::Timeout => OrderFault::TimeoutAfterEffect,
        };
        let row = run(
            &system,
            FaultScript {
                captures: vec![capture],
                orders: vec![order],
                ..FaultScript::default()
            },
        )
        .await;
        assert_booked_once(&system, &row, &format!("capture and order {lost:?}"));
    }
    system.teardown().await;
}

#[tokio::test]
async fn a_release_whose_answer_is_lost_releases_the_hold_and_fails_cleanly() {
    let system = spawn_lagging().await;
    for lost in BOTH {
        let void = match lost {
            Lost::ServerError => VoidFault::ServerErrorAfterEffect,
            Lost::Timeout => VoidFault::TimeoutAfterEffect,
        };
        // The airline refuses the order: the hold is released.
        let row = run(
            &system,
            FaultScript {
                orders: vec![OrderFault::Rejected],
                voids: vec![void],
                ..FaultScript::default()
            },
        )
        .await;
        assert!(
            matches!(row.saga.phase, Phase::Failed { .. }),
            "void {lost:?}: {:?}",
            row.saga.phase
        );
        let e = effects(&system.ledger(), row.id);
        assert_eq!(
            (e.intents, e.holds_left, e.captured, e.live_orders),
            (1, 0, 0, 0),
            "void {lost:?}: one intent, released, nothing taken"
        );
    }
    system.teardown().await;
}

#[tokio::test]
async fn an_order_cancellation_whose_answers_are_lost_cancels_once_and_fails_cleanly() {
    let system = spawn_lagging().await;
    for lost in BOTH {
        let cancellation = match lost {
            Lost::ServerError => CancellationFault::ServerErrorAfterEffect,
            Lost::Timeout => CancellationFault::TimeoutAfterEffect,
        };
        // The hold lapses at capture: the order is cancelled (quote, then
        // confirm, each answer lost), then the saga fails.
        let row = run(
            &system,
            FaultScript {
                captures: vec![CaptureFault::Lapsed],
                cancellations: vec![cancellation, cancellation],
                ..FaultScript::default()
            },
        )
        .await;
        assert!(
            matches!(row.saga.phase, Phase::Failed { .. }),
            "cancellation {lost:?}: {:?}",
            row.saga.phase
        );
        let e = effects(&system.ledger(), row.id);
        assert_eq!(
            (e.intents, e.holds_left, e.captured, e.orders, e.live_orders),
            (1, 0, 0, 1, 0),
            "cancellation {lost:?}: one order, cancelled; nothing taken"
        );
    }
    system.teardown().await;
}

#[tokio::test]
async fn a_refund_whose_answer_is_lost_refunds_once() {
    let system = spawn_lagging().await;
    for lost in BOTH {
        let id = system.submit(trip()).await;
        system.reaches(id, "booked").await;
        let refund = match lost {
            Lost::ServerError => RefundFault::ServerErrorAfterEffect,
            Lost::Timeout => RefundFault::TimeoutAfterEffect,
        };
        system.script(FaultScript {
            refunds: vec![refund],
            ..FaultScript::default()
        });
        system.cancel(id).await;
        let row = system.reaches(id, "cancelled").await;
        assert_eq!(
            system.stack().sandbox.remaining_script(),
            FaultScript::default(),
            "the fault was met"
        );
        let e = effects(&system.ledger(), row.id);
        assert_eq!(
            (e.intents, e.captured, e.live_orders, e.refunds),
            (1, 1, 0, 1),
            "refund {lost:?}: refunded once"
        );
    }
    system.teardown().await;
}

#[tokio::test]
async fn an_email_whose_answer_is_lost_never_undoes_the_booking_nor_goes_twice() {
    let system = spawn_lagging().await;
    for (lost, fault) in [
        (Lost::ServerError, EmailFault::ServerErrorAfterEffect),
        (Lost::Timeout, EmailFault::TimeoutAfterEffect),
    ] {
        let row = run(
            &system,
            FaultScript {
                emails: vec![fault],
                ..FaultScript::default()
            },
        )
        .await;
        assert_booked_once(&system, &row, &format!("email {lost:?}"));
        let emails = system
            .ledger()
            .emails
            .iter()
            .filter(|e| {
                e.tags
                    .iter()
                    .any(|t| t.name == "saga_id" && t.value == row.id.to_string())
            })
            .count();
        assert_eq!(emails, 1, "email {lost:?}: sent once");
    }
    system.teardown().await;
}
