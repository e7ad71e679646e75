//! Cancellation by the traveller at every stage, including racing a step
//! in flight; cancelling twice is harmless.

use autobook_contracts::events::*;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::DecideError;
use crate::saga::state::{Outcome, Phase, Saga};

fn told_cancelled(
    saga: &Saga,
) -> (
    Option<String>,
    Option<autobook_contracts::Money>,
    Option<autobook_contracts::Money>,
) {
    match &saga.phase {
        Phase::Notifying {
            outcome:
                Outcome::Cancelled {
                    booking_reference,
                    charged,
                    refunded,
                },
            ..
        } => (booking_reference.clone(), *charged, *refunded),
        other => panic!("expected a cancellation notice, got {other:?}"),
    }
}

#[test]
fn before_anything_is_held_a_cancel_stops_and_tells() {
    let decision = apply(&searching(), cancel_request());
    assert_eq!(told_cancelled(&decision.saga), (None, None, None));
    assert!(matches!(sent(&decision), Message::SendNotification(_)));
    let done = apply(
        &decision.saga,
        NotificationSent {
            idempotency_key: key(Step::NotifyCancellation, 1),
            email_id: "em".into(),
        },
    );
    assert_eq!(done.saga.phase.status(), "cancelled");
    assert!(matches!(
        try_apply(&done.saga, cancel_request()),
        Err(DecideError::NothingToCancel {
            status: "cancelled"
        })
    ));
}

#[test]
fn a_cancel_racing_the_authorization_voids_the_hold_it_placed() {
    let marked = apply(&authorizing(), cancel_request()).saga;
    assert!(marked.cancel_requested);
    assert_eq!(marked.phase.status(), "authorizing");
    // A second cancel while the first waits is harmless.
    assert!(matches!(
        try_apply(&marked, cancel_request()),
        Err(DecideError::NothingToCancel { .. })
    ));
    let authorized = apply(
        &marked,
        PaymentAuthorized {
            idempotency_key: key(Step::Authorize, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        },
    );
    assert!(matches!(sent(&authorized), Message::VoidHold(_)));
    let voided = apply(
        &authorized.saga,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert_eq!(told_cancelled(&voided.saga), (None, None, None));
}

#[test]
fn a_cancel_racing_the_order_cancels_the_order_and_voids_the_hold() {
    let marked = apply(&ordering(), cancel_request()).saga;
    let created = apply(
        &marked,
        OrderCreated {
            idempotency_key: key(Step::Order, 1),
            order_id: "ord_1".into(),
            booking_reference: "RZPNX8".into(),
            amount: usd(40000),
        },
    );
    assert!(matches!(sent(&created), Message::CancelOrder(_)));
    let cancelled = apply(
        &created.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: Some(usd(40000)),
        },
    );
    assert!(matches!(sent(&cancelled), Message::VoidHold(_)));
    let voided = apply(
        &cancelled.saga,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert_eq!(told_cancelled(&voided.saga), (None, None, None));
    // A failed order while the cancel waited: only the void.
    let marked = apply(&ordering(), cancel_request()).saga;
    let failed = apply(
        &marked,
        OrderFailed {
            idempotency_key: key(Step::Order, 1),
            reason: OrderFailureReason::PriceChanged,
            detail: "x".into(),
        },
    );
    assert!(matches!(sent(&failed), Message::VoidHold(_)));
}

#[test]
fn a_cancel_racing_the_capture_cancels_the_booking_and_refunds_what_the_fare_allows() {
    let marked = apply(&capturing(), cancel_request()).saga;
    let captured = apply(
        &marked,
        PaymentCaptured {
            idempotency_key: key(Step::Capture, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        },
    );
    assert_eq!(captured.saga.phase.status(), "cancelling_booking");
    assert!(matches!(sent(&captured), Message::CancelOrder(c) if c.order_id == "ord_1"));
    let cancelled = apply(
        &captured.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: Some(usd(25000)),
        },
    );
    let Message::RefundPayment(refund) = sent(&cancelled) else {
        panic!("expected a refund");
    };
    assert_eq!(refund.amount, usd(25000));
    assert_eq!(refund.payment_intent_id, "pi_1");
    assert_eq!(refund.idempotency_key, key(Step::Refund, 1));
    let refunded = apply(
        &cancelled.saga,
        PaymentRefunded {
            idempotency_key: key(Step::Refund, 1),
            refund_id: "re_1".into(),
            amount: usd(25000),
        },
    );
    assert_eq!(
        told_cancelled(&refunded.saga),
        (Some("RZPNX8".into()), Some(usd(40000)), Some(usd(25000)))
    );
}

#[test]
fn the_cancellation_email_of_a_booked_trip_has_its_own_key() {
    // The confirmation already went under `notify` in this epoch: the
    // cancellation notice must not be taken for a duplicate of it.
    let cancelling = apply(&booked(), cancel_request());
    let told = apply(
        &cancelling.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: None,
        },
    );
    let Message::SendNotification(notice) = sent(&told) else {
        panic!("expected the cancellation email");
    };
    assert_eq!(notice.idempotency_key, key(Step::NotifyCancellation, 1));
    assert_ne!(notice.idempotency_key, key(Step::Notify, 1));
}

#[test]
fn after_booking_a_cancel_cancels_the_order_and_a_non_refundable_fare_refunds_nothing() {
    let cancelling = apply(&booked(), cancel_request());
    assert_eq!(cancelling.saga.phase.status(), "cancelling_booking");
    let no_refund = apply(
        &cancelling.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: None,
        },
    );
    assert_eq!(
        told_cancelled(&no_refund.saga),
        (Some("RZPNX8".into()), Some(usd(40000)), None)
    );
    // The airline never refunds more than was captured, nor another currency.
    let over = apply(
        &cancelling.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: Some(usd(99999)),
        },
    );
    assert!(matches!(sent(&over), Message::RefundPayment(r) if r.amount == usd(40000)));
}

#[test]
fn a_cancel_while_telling_of_a_booking_cancels_it_once_told() {
    let marked = apply(&notifying_booked(), cancel_request()).saga;
    let told = apply(
        &marked,
        NotificationSent {
            idempotency_key: key(Step::Notify, 1),
            email_id: "em".into(),
        },
    );
    assert_eq!(told.saga.phase.status(), "cancelling_booking");
}

#[test]
fn a_cancel_while_paused_undoes_what_is_held() {
    let nothing = apply(&deferred(&authorizing()), cancel_request());
    assert_eq!(told_cancelled(&nothing.saga), (None, None, None));
    let hold = apply(&deferred(&ordering()), cancel_request());
    assert!(matches!(sent(&hold), Message::VoidHold(_)));
    let order = apply(&deferred(&capturing()), cancel_request());
    assert!(matches!(sent(&order), Message::CancelOrder(_)));
}

#[test]
fn a_failed_refund_is_retried_then_handed_to_an_operator() {
    let saga = refunding();
    let failed = apply(
        &saga,
        RefundFailed {
            idempotency_key: key(Step::Refund, 1),
            payment_intent_id: "pi_1".into(),
            detail: "stripe down".into(),
            permanent: false,
        },
    );
    assert_eq!(failed.saga.phase.status(), "refunding");
    assert_eq!(failed.saga.compensation_attempts, 1);
    let retried = apply(
        &failed.saga,
        TimerFired {
            timer: SagaTimer::RetryCompensation {
                idempotency_key: key(Step::Refund, 1),
            },
        },
    );
    assert!(matches!(sent(&retried), Message::RefundPayment(_)));
}
