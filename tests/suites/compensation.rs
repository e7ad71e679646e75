//! Failure after effects: each compensation undoes exactly what was done.

use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::store::SagaRow;
use autobook_sandbox::FaultScript;
use autobook_sandbox::script::{CaptureFault, EmailFault, OrderFault};
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn};
use uuid::Uuid;

/// Submits one trip with the sandbox forced to answer as scripted, and
/// waits for the saga to finish.
async fn run_scripted(script: FaultScript) -> (TestSystem, Uuid, SagaRow) {
    let system = spawn().await;
    system.script(script);
    let id = system.submit(trip()).await;
    let row = system.finished(id).await;
    (system, id, row)
}

#[tokio::test]
async fn an_order_failure_after_authorization_releases_the_hold() {
    let (system, id, row) = run_scripted(FaultScript {
        orders: vec![OrderFault::Rejected],
        ..FaultScript::default()
    })
    .await;
    assert!(
        matches!(
            &row.saga.phase,
            Phase::Failed {
                reason: FailureReason::OrderRejected,
                notified: true
            }
        ),
        "{:?}",
        row.saga.phase
    );
    assert_eq!(
        system.audit_statuses(id).await,
        [
            "searching",
            "authorizing",
            "ordering",
            "releasing_hold",
            "notifying",
            "failed"
        ]
    );
    let ledger = system.ledger();
    let [intent] = ledger.payment_intents.as_slice() else {
        panic!()
    };
    assert_eq!(
        (intent.status.as_str(), intent.amount_received),
        ("canceled", 0),
        "hold voided, nothing taken"
    );
    assert!(ledger.live_orders().next().is_none());
    assert_eq!(ledger.emails.len(), 1);
    system.teardown().await;
}

#[tokio::test]
async fn an_expired_offer_is_searched_again_and_booked() {
    let (system, _, row) = run_scripted(FaultScript {
        orders: vec![OrderFault::OfferExpired],
        ..FaultScript::default()
    })
    .await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("{:?}", row.saga.phase)
    };
    assert_eq!(row.saga.epoch, 2, "a second search round");
    let ledger = system.ledger();
    assert_eq!(ledger.offer_requests, 2);
    let captured: Vec<_> = ledger
        .payment_intents
        .iter()
        .filter(|i| i.amount_received > 0)
        .collect();
    let voided: Vec<_> = ledger
        .payment_intents
        .iter()
        .filter(|i| i.status == "canceled")
        .collect();
    assert_eq!(
        (captured.len(), voided.len(), ledger.payment_intents.len()),
        (1, 1, 2),
        "first hold released, second captured"
    );
    assert_eq!(captured[0].id, booking.payment_intent_id);
    let live: Vec<_> = ledger.live_orders().collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].total_amount, captured[0].amount_received);
    system.teardown().await;
}

#[tokio::test]
async fn a_changed_price_is_searched_again_and_booked_at_the_new_fare() {
    let (system, _, row) = run_scripted(FaultScript {
        orders: vec![OrderFault::PriceChanged],
        ..FaultScript::default()
    })
    .await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("{:?}", row.saga.phase)
    };
    assert_eq!(row.saga.epoch, 2);
    let live: Vec<_> = system.ledger().live_orders().cloned().collect();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].total_amount, booking.captured.amount_minor);
    system.teardown().await;
}

#[tokio::test]
async fn a_failed_capture_cancels_the_order_and_releases_the_hold() {
    let (system, id, row) = run_scripted(FaultScript {
        captures: vec![CaptureFault::Lapsed],
        ..FaultScript::default()
    })
    .await;
    assert!(
        matches!(
            &row.saga.phase,
            Phase::Failed {
                reason: FailureReason::CaptureFailed,
                ..
            }
        ),
        "{:?}",
        row.saga.phase
    );
    assert_eq!(
        system.audit_statuses(id).await,
        [
            "searching",
            "authorizing",
            "ordering",
            "capturing",
            "cancelling_order",
            "releasing_hold",
            "notifying",
            "failed"
        ]
    );
    let ledger = system.ledger();
    let [order] = ledger.orders.as_slice() else {
        panic!()
    };
    assert!(order.cancelled, "no ticket without payment");
    assert!(
        ledger
            .order_cancellations
            .iter()
            .any(|c| c.order_id == order.id && c.confirmed)
    );
    assert!(
        ledger
            .payment_intents
            .iter()
            .all(|i| i.amount_received == 0 && i.status == "canceled")
    );
    system.teardown().await;
}

#[tokio::test]
async fn a_failed_email_never_undoes_a_booking() {
    let (system, _, row) = run_scripted(FaultScript {
        emails: vec![EmailFault::Rejected],
        ..FaultScript::default()
    })
    .await;
    let Phase::Booked { booking, notified } = &row.saga.phase else {
        panic!("{:?}", row.saga.phase)
    };
    assert!(!notified, "the failed email is recorded");
    let ledger = system.ledger();
    assert_eq!(ledger.live_orders().count(), 1);
    let captured: i64 = ledger
        .payment_intents
        .iter()
        .map(|i| i.amount_received)
        .sum();
    assert_eq!(captured, booking.captured.amount_minor);
    assert!(ledger.order_cancellations.is_empty());
    system.teardown().await;
}
