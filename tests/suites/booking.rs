//! The forward paths: a booking, a declined card, no acceptable offer.

use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::saga::Phase;
use autobook_tests::spawn;
use autobook_tests::trips::{trip, trip_with};

#[tokio::test]
async fn a_trip_is_booked_paid_ticketed_and_confirmed() {
    let system = spawn().await;
    let id = system.submit(trip()).await;
    let row = system.finished(id).await;
    let Phase::Booked { booking, notified } = &row.saga.phase else {
        panic!("not booked: {:?}", row.saga.phase)
    };
    assert!(notified);
    assert_eq!(
        system.audit_statuses(id).await,
        [
            "searching",
            "authorizing",
            "ordering",
            "capturing",
            "notifying",
            "booked"
        ]
    );

    let ledger = system.ledger();
    let [intent] = ledger.payment_intents.as_slice() else {
        panic!("{:?}", ledger.payment_intents)
    };
    assert_eq!(intent.id, booking.payment_intent_id);
    assert_eq!(intent.status, "succeeded");
    assert_eq!(intent.capture_method, "manual");
    assert_eq!(intent.amount_received, booking.captured.amount_minor);
    assert_eq!(intent.metadata["saga_id"], id.to_string());
    let [order] = ledger.orders.as_slice() else {
        panic!("{:?}", ledger.orders)
    };
    assert!(!order.cancelled);
    assert_eq!(order.id, booking.order.order_id);
    assert_eq!(order.booking_reference, booking.order.booking_reference);
    assert_eq!(
        order.total_amount, booking.captured.amount_minor,
        "ticket and charge agree to the cent"
    );
    let [email] = ledger.emails.as_slice() else {
        panic!("one email expected")
    };
    assert_eq!(email.to, ["amelia@example.com"]);
    assert!(email.subject.contains(&booking.order.booking_reference));
    assert!(
        email
            .tags
            .iter()
            .any(|t| t.name == "saga_id" && t.value == id.to_string())
    );
    system.teardown().await;
}

#[tokio::test]
async fn a_declined_card_books_nothing_and_tells_the_traveller() {
    let system = spawn().await;
    let declined = system
        .submit(trip_with(|t| {
            t["payment"]["payment_method"] = "pm_card_chargeDeclined".into()
        }))
        .await;
    let broke = system
        .submit(trip_with(|t| {
            t["payment"]["payment_method"] = "pm_card_chargeDeclinedInsufficientFunds".into()
        }))
        .await;
    for (id, code) in [(declined, "generic_decline"), (broke, "insufficient_funds")] {
        let row = system.finished(id).await;
        let expected = FailureReason::PaymentDeclined {
            decline_code: Some(code.into()),
        };
        assert!(
            matches!(&row.saga.phase, Phase::Failed { reason, notified: true } if *reason == expected),
            "{:?}",
            row.saga.phase
        );
    }
    let ledger = system.ledger();
    assert!(ledger.orders.is_empty(), "no order without money");
    assert!(
        ledger
            .payment_intents
            .iter()
            .all(|i| i.amount_received == 0 && i.status != "requires_capture")
    );
    assert_eq!(ledger.emails.len(), 2);
    assert!(
        ledger
            .emails
            .iter()
            .all(|e| e.subject.starts_with("We could not book"))
    );
    system.teardown().await;
}

#[tokio::test]
async fn no_acceptable_offer_fails_before_any_money_moves() {
    let system = spawn().await;
    let id = system
        .submit(trip_with(|t| t["max_price"]["amount_minor"] = 100.into()))
        .await;
    let row = system.finished(id).await;
    assert!(
        matches!(&row.saga.phase, Phase::Failed { reason: FailureReason::NoMatchingOffer { offers_seen }, .. } if *offers_seen > 0)
    );
    let ledger = system.ledger();
    assert!(ledger.payment_intents.is_empty() && ledger.orders.is_empty());
    assert_eq!(ledger.emails.len(), 1);
    system.teardown().await;
}
