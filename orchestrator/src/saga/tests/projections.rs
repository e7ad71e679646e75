//! What each transition writes to the read models beside the saga
//! (passengers, offers, bookings): once, at the step that creates them.

use autobook_contracts::events::*;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::Phase;
use crate::store::projections::{Change, changes};

fn between(before: &Phase, after: &Phase) -> Vec<Change> {
    changes(Some(before), after)
}

#[test]
fn a_new_saga_records_its_passengers_and_nothing_else() {
    assert_eq!(changes(None, &searching().phase), vec![Change::Passengers]);
}

#[test]
fn selecting_an_offer_records_it_once() {
    let authorizing = authorizing();
    let recorded = between(&searching().phase, &authorizing.phase);
    assert!(
        matches!(&recorded[..], [Change::OfferSelected(o)] if o.offer_id == "off_1"),
        "{recorded:?}"
    );
    // Staying on the same offer (a retried authorization) records nothing.
    assert!(between(&authorizing.phase, &authorizing.phase).is_empty());
    assert!(between(&authorizing.phase, &ordering().phase).is_empty());
}

#[test]
fn the_booking_is_recorded_when_the_capture_lands_and_not_again() {
    let recorded = between(&capturing().phase, &notifying_booked().phase);
    assert!(
        matches!(&recorded[..], [Change::Booked(b)] if b.order.booking_reference == "RZPNX8"),
        "{recorded:?}"
    );
    assert!(between(&notifying_booked().phase, &booked().phase).is_empty());
    // A failure never records a booking.
    assert!(between(&searching().phase, &notifying_failed().phase).is_empty());
}

#[test]
fn a_cancelled_booking_is_marked_with_its_refund() {
    let cancelling = apply(&booked(), cancel_request());
    assert!(between(&booked().phase, &cancelling.saga.phase).is_empty());
    let cancelled = apply(
        &cancelling.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: Some(usd(25000)),
        },
    );
    assert!(matches!(sent(&cancelled), Message::RefundPayment(_)));
    let refunded = apply(
        &cancelled.saga,
        PaymentRefunded {
            idempotency_key: key(Step::Refund, 1),
            refund_id: "re_1".into(),
            amount: usd(25000),
        },
    );
    assert_eq!(
        between(&cancelled.saga.phase, &refunded.saga.phase),
        vec![Change::BookingCancelled {
            refunded_minor: Some(25000)
        }]
    );
    // A trip cancelled before anything was booked has no booking to mark.
    let stopped = apply(&searching(), cancel_request());
    assert!(between(&searching().phase, &stopped.saga.phase).is_empty());
}
