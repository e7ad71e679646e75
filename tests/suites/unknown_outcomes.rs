//! A provider applies the effect but the answer never arrives in time.
//! The outcome is settled by a consistent read (the Duffel order list by
//! metadata, the Stripe intent by the id the worker recorded), never
//! guessed and never searched: one order, one hold, one charge.

use std::time::Duration;

use autobook_orchestrator::saga::Phase;
use autobook_sandbox::FaultScript;
use autobook_sandbox::script::{AuthorizationFault, CaptureFault, OrderFault};
use autobook_tests::spawn_with;
use autobook_tests::trips::trip;

async fn run(
    script: FaultScript,
) -> (
    autobook_tests::TestSystem,
    autobook_orchestrator::store::SagaRow,
) {
    let system = spawn_with(|config| {
        config.provider_timeout = Duration::from_millis(400);
        config.sandbox.faults.timeout_delay = Duration::from_secs(2);
    })
    .await;
    system.script(script);
    let id = system.submit(trip()).await;
    let row = system.finished(id).await;
    assert_eq!(
        system.stack().sandbox.remaining_script(),
        FaultScript::default(),
        "the fault was injected"
    );
    (system, row)
}

#[tokio::test]
async fn an_order_whose_answer_was_lost_is_found_not_made_again() {
    let (system, row) = run(FaultScript {
        orders: vec![OrderFault::TimeoutAfterEffect],
        ..FaultScript::default()
    })
    .await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("{:?}", row.saga.phase)
    };
    let ledger = system.ledger();
    assert_eq!(
        ledger.orders.len(),
        1,
        "the order was looked up, not created twice"
    );
    assert_eq!(ledger.orders[0].id, booking.order.order_id);
    system.teardown().await;
}

#[tokio::test]
async fn a_hold_whose_answer_was_lost_is_not_placed_twice() {
    let (system, row) = run(FaultScript {
        authorizations: vec![AuthorizationFault::TimeoutAfterEffect],
        ..FaultScript::default()
    })
    .await;
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{:?}",
        row.saga.phase
    );
    let ledger = system.ledger();
    let held_or_taken: Vec<_> = ledger
        .payment_intents
        .iter()
        .filter(|i| i.status != "canceled")
        .collect();
    assert_eq!(held_or_taken.len(), 1, "{:?}", ledger.payment_intents);
    assert_eq!(
        ledger
            .payment_intents
            .iter()
            .filter(|i| i.amount_received > 0)
            .count(),
        1
    );
    system.teardown().await;
}

/// Stripe answers 500 after placing the hold and replays that 500 for the
/// same key: the worker retrieves the intent it recorded, sees the hold,
/// and never places a second one.
#[tokio::test]
async fn a_hold_answered_with_a_server_error_is_settled_by_its_intent_not_placed_again() {
    let (system, row) = run(FaultScript {
        authorizations: vec![AuthorizationFault::ServerErrorAfterEffect],
        ..FaultScript::default()
    })
    .await;
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{:?}",
        row.saga.phase
    );
    let ledger = system.ledger();
    assert_eq!(
        ledger.payment_intents.len(),
        1,
        "one hold, read back by id: {:?}",
        ledger.payment_intents
    );
    assert!(
        ledger.payment_intents[0].amount_received > 0,
        "and captured"
    );
    system.teardown().await;
}

#[tokio::test]
async fn a_capture_whose_answer_was_lost_is_not_taken_twice() {
    let (system, row) = run(FaultScript {
        captures: vec![CaptureFault::TimeoutAfterEffect],
        ..FaultScript::default()
    })
    .await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("{:?}", row.saga.phase)
    };
    let ledger = system.ledger();
    let [intent] = ledger.payment_intents.as_slice() else {
        panic!("{:?}", ledger.payment_intents)
    };
    assert_eq!(intent.amount_received, booking.captured.amount_minor);
    system.teardown().await;
}
