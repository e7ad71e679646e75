//! The forward path, step by step, with the exact commands each step sends.

use autobook_contracts::events::*;
use autobook_contracts::notification::{FailureReason, NotificationContent};
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::{Outcome, Phase};
use crate::saga::{Admission, Policy, decide, start};

#[test]
fn a_valid_trip_starts_with_a_search() {
    let decision = start(
        saga_id(),
        trip(),
        now(),
        &Policy::default(),
        &Admission::Open,
    )
    .unwrap();
    assert_eq!(
        decision.saga.phase,
        Phase::Searching {
            key: key(Step::Search, 1)
        }
    );
    assert_eq!(decision.saga.epoch, 1);
    let Message::SearchOffers(search) = sent(&decision) else {
        panic!("expected a search")
    };
    assert_eq!(search.idempotency_key, key(Step::Search, 1));
    assert_eq!(search.passenger_ages, vec![39, 12]);
    assert_eq!(search.max_connections, 2);
    assert_eq!(search.origin.as_str(), "JFK");
}

#[test]
fn an_invalid_trip_is_refused_before_anything_happens() {
    let mut json = trip_json();
    json["departure_date"] = serde_json::json!("2026-01-01");
    let trip = serde_json::from_value(json).unwrap();
    assert!(start(saga_id(), trip, now(), &Policy::default(), &Admission::Open).is_err());
}

#[test]
fn offers_found_selects_the_best_and_authorizes_its_total() {
    let found = OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq_1".into(),
        offers: vec![
            offer("off_dear", 55000, 330, 0),
            offer("off_cheap", 30000, 340, 0),
            offer("off_over", 90000, 300, 0),
        ],
    };
    let decision = apply(&searching(), found);
    let Phase::Authorizing { key: k, offer } = &decision.saga.phase else {
        panic!("{:?}", decision.saga.phase)
    };
    assert_eq!(offer.offer_id, "off_cheap");
    assert_eq!(*k, key(Step::Authorize, 1));
    let Message::AuthorizePayment(auth) = sent(&decision) else {
        panic!()
    };
    assert_eq!(auth.amount, usd(30000));
    assert_eq!(auth.idempotency_key, key(Step::Authorize, 1));
    assert_eq!(auth.payment_method.as_str(), "pm_card_visa");
}

#[test]
fn no_acceptable_offer_fails_cleanly_and_tells_the_traveller() {
    let found = OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq_1".into(),
        offers: vec![offer("off_over", 90000, 300, 0)],
    };
    // Without watching, no acceptable offer ends the trip at once.
    let unwatched = Policy {
        watch: None,
        ..Policy::default()
    };
    let decision = apply_with(&searching(), found, &unwatched);
    let reason = FailureReason::NoMatchingOffer { offers_seen: 1 };
    assert_eq!(
        decision.saga.phase,
        Phase::Notifying {
            key: key(Step::Notify, 1),
            outcome: Outcome::Failed {
                reason: reason.clone()
            }
        }
    );
    let Message::SendNotification(notice) = sent(&decision) else {
        panic!()
    };
    assert!(
        matches!(&notice.content, NotificationContent::BookingFailed { reason: r, .. } if *r == reason)
    );
}

#[test]
fn a_failed_search_fails_the_saga() {
    let decision = apply(
        &searching(),
        SearchFailed {
            idempotency_key: key(Step::Search, 1),
            detail: "x".into(),
        },
    );
    assert!(matches!(
        &decision.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::SearchFailed
            },
            ..
        }
    ));
}

#[test]
fn authorization_leads_to_an_order_for_every_passenger() {
    let saga = ordering();
    let Phase::Ordering { key: k, hold, .. } = &saga.phase else {
        panic!()
    };
    assert_eq!(*k, key(Step::Order, 1));
    assert_eq!(hold.payment_intent_id, "pi_1");
    let decision = apply(
        &authorizing(),
        PaymentAuthorized {
            idempotency_key: key(Step::Authorize, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        },
    );
    let Message::CreateOrder(order) = sent(&decision) else {
        panic!()
    };
    assert_eq!(order.offer_id, "off_1");
    assert_eq!(order.amount, usd(40000));
    let ids: Vec<_> = order
        .passengers
        .iter()
        .map(|p| p.passenger_id.as_str())
        .collect();
    assert_eq!(ids, ["pas_1", "pas_2"]);
    assert_eq!(order.passengers[1].details, trip().passengers[1]);
}

#[test]
fn a_hold_of_the_wrong_amount_is_released_not_ordered_against() {
    let decision = apply(
        &authorizing(),
        PaymentAuthorized {
            idempotency_key: key(Step::Authorize, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(39999),
        },
    );
    assert_eq!(status(&decision.saga), "releasing_hold");
    assert!(matches!(sent(&decision), Message::VoidHold(v) if v.payment_intent_id == "pi_1"));
}

#[test]
fn the_order_leads_to_capture_of_the_order_amount() {
    let saga = capturing();
    let Phase::Capturing { key: k, order, .. } = &saga.phase else {
        panic!()
    };
    assert_eq!(*k, key(Step::Capture, 1));
    assert_eq!(order.booking_reference, "RZPNX8");
    let decision = apply(
        &ordering(),
        OrderCreated {
            idempotency_key: key(Step::Order, 1),
            order_id: "ord_1".into(),
            booking_reference: "RZPNX8".into(),
            amount: usd(40000),
        },
    );
    let Message::CapturePayment(capture) = sent(&decision) else {
        panic!()
    };
    assert_eq!(
        (capture.payment_intent_id.as_str(), capture.amount),
        ("pi_1", usd(40000))
    );
}

#[test]
fn capture_books_the_trip_and_sends_the_confirmation() {
    let decision = apply(
        &capturing(),
        PaymentCaptured {
            idempotency_key: key(Step::Capture, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        },
    );
    let Message::SendNotification(notice) = sent(&decision) else {
        panic!()
    };
    assert_eq!(notice.idempotency_key, key(Step::Notify, 1));
    assert!(
        matches!(&notice.content, NotificationContent::BookingConfirmed { booking_reference, passenger_count: 2, .. } if booking_reference == "RZPNX8")
    );
    assert_eq!(notice.to, trip().contact_email);
}

#[test]
fn the_confirmation_completes_the_booking() {
    let decision = apply(
        &notifying_booked(),
        NotificationSent {
            idempotency_key: key(Step::Notify, 1),
            email_id: "em".into(),
        },
    );
    assert!(
        matches!(&decision.saga.phase, Phase::Booked { notified: true, booking } if booking.captured == usd(40000))
    );
    assert!(decision.effects.is_empty());
}

#[test]
fn a_failed_email_never_undoes_a_booking() {
    let decision = apply(
        &notifying_booked(),
        NotificationFailed {
            idempotency_key: key(Step::Notify, 1),
            detail: "bounced".into(),
        },
    );
    assert!(matches!(
        &decision.saga.phase,
        Phase::Booked {
            notified: false,
            ..
        }
    ));
    assert!(
        decision.effects.is_empty(),
        "no compensation for a failed email"
    );
}

#[test]
fn deciding_is_deterministic() {
    let saga = ordering();
    let event: Message = OrderCreated {
        idempotency_key: key(Step::Order, 1),
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    }
    .into();
    let first = decide(&saga, &event, now(), &policy()).unwrap();
    let second = decide(&saga, &event, now(), &policy()).unwrap();
    assert_eq!(first, second);
}
