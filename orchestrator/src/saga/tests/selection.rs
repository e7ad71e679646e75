//! What selection leaves out and what the traveller is told about it:
//! offers that do not answer the trip (another route or day) are never
//! booked, however cheap; offers whose airline wants identity documents are
//! booked only when every passenger carries one, and otherwise the failure
//! says why.

use chrono::Duration;
use serde_json::json;

use autobook_contracts::codes::PlaceCode;
use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::offer::OfferSummary;
use autobook_contracts::trip::TripRequest;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::{Outcome, Phase, Saga};
use crate::saga::{Admission, Policy, decide, start};

fn found(offers: Vec<OfferSummary>) -> OffersFound {
    OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq_1".into(),
        offers,
    }
}

fn unwatched() -> Policy {
    Policy {
        watch: None,
        ..Policy::default()
    }
}

/// An offer flying LAX-LAX (origin = destination), the supplier mistake.
fn elsewhere(id: &str, total: i64) -> OfferSummary {
    let mut offer = offer(id, total, 330, 0);
    offer.slices[0].origin = PlaceCode::parse("LAX").unwrap();
    offer
}

fn needing_documents(id: &str, total: i64) -> OfferSummary {
    OfferSummary {
        identity_documents_required: true,
        ..offer(id, total, 330, 0)
    }
}

/// The fixture trip with a passport on every passenger.
fn documented_trip() -> TripRequest {
    let mut value = trip_json();
    for passenger in value["passengers"].as_array_mut().unwrap() {
        passenger["identity_document"] = json!({
            "type": "passport", "unique_identifier": "K12345678",
            "issuing_country_code": "US", "expires_on": "2031-01-01"
        });
    }
    serde_json::from_value(value).unwrap()
}

fn searching_for(trip: TripRequest) -> Saga {
    start(saga_id(), trip, now(), &Policy::default(), &Admission::Open)
        .unwrap()
        .saga
}

fn failure(saga: &Saga) -> &FailureReason {
    match &saga.phase {
        Phase::Notifying {
            outcome: Outcome::Failed { reason },
            ..
        } => reason,
        other => panic!("expected a failure notice, got {other:?}"),
    }
}

#[test]
fn an_offer_for_another_route_is_never_selected_however_cheap() {
    let decision = apply(
        &searching(),
        found(vec![
            elsewhere("off_elsewhere", 10000),
            offer("off_right", 40000, 330, 0),
        ]),
    );
    let Phase::Authorizing { offer, .. } = &decision.saga.phase else {
        panic!("{:?}", decision.saga.phase)
    };
    assert_eq!(offer.offer_id, "off_right");
    assert_eq!(
        decision.saga.cheapest_seen,
        Some(usd(40000)),
        "an offer for another trip is not a price seen for this one"
    );
}

#[test]
fn offers_for_another_trip_only_find_nothing() {
    let mut next_day = offer("off_next_day", 10000, 330, 0);
    next_day.slices[0].departing_at += Duration::days(1);
    let decision = apply_with(
        &searching(),
        found(vec![elsewhere("off_elsewhere", 10000), next_day]),
        &unwatched(),
    );
    assert_eq!(
        failure(&decision.saga),
        &FailureReason::NoMatchingOffer { offers_seen: 2 }
    );
    assert!(decision.saga.cheapest_seen.is_none());
    assert!(
        !decision
            .effects
            .iter()
            .any(|e| matches!(e, crate::saga::Effect::Send(Message::AuthorizePayment(_)))),
        "no money moves"
    );
}

#[test]
fn an_offer_needing_documents_is_left_out_when_a_passenger_has_none() {
    // The cheaper offer needs documents; the trip carries none.
    let decision = apply(
        &searching(),
        found(vec![
            needing_documents("off_docs", 30000),
            offer("off_plain", 40000, 330, 0),
        ]),
    );
    let Phase::Authorizing { offer, .. } = &decision.saga.phase else {
        panic!("{:?}", decision.saga.phase)
    };
    assert_eq!(offer.offer_id, "off_plain");
    assert_eq!(decision.saga.cheapest_seen, Some(usd(30000)));
    assert!(
        !decision.saga.identity_documents_needed,
        "something was booked: documents were not what stopped it"
    );

    // One passenger of two with a passport is not enough.
    let mut half = trip();
    half.passengers[0].identity_document =
        documented_trip().passengers[0].identity_document.clone();
    let decision = apply_with(
        &searching_for(half),
        found(vec![needing_documents("off_docs", 30000)]),
        &unwatched(),
    );
    assert_eq!(
        failure(&decision.saga),
        &FailureReason::IdentityDocumentsRequired { offers_seen: 1 }
    );
}

#[test]
fn with_documents_on_every_passenger_the_offer_is_booked_and_the_order_sends_them() {
    let saga = searching_for(documented_trip());
    let decision = apply(&saga, found(vec![needing_documents("off_docs", 30000)]));
    let Phase::Authorizing { offer, .. } = &decision.saga.phase else {
        panic!("{:?}", decision.saga.phase)
    };
    assert!(offer.identity_documents_required);
    let ordering = apply(
        &decision.saga,
        PaymentAuthorized {
            idempotency_key: key(Step::Authorize, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(30000),
        },
    );
    let Message::CreateOrder(order) = sent(&ordering) else {
        panic!("expected an order")
    };
    assert!(order.identity_documents_required);
    assert!(
        order
            .passengers
            .iter()
            .all(|p| p.details.identity_document.is_some())
    );
    let ages: Vec<_> = order.passengers.iter().map(|p| p.age).collect();
    assert_eq!(ages, [Some(39), Some(12)], "ages at departure, as searched");
}

#[test]
fn documents_are_not_the_reason_when_the_offer_is_outside_the_conditions_anyway() {
    let decision = apply_with(
        &searching(),
        found(vec![needing_documents("off_docs_dear", 90000)]),
        &unwatched(),
    );
    assert_eq!(
        failure(&decision.saga),
        &FailureReason::NoMatchingOffer { offers_seen: 1 }
    );
}

#[test]
fn a_watched_trip_remembers_documents_were_wanted_and_says_so_at_the_deadline() {
    let policy = watching_policy();
    let decision = decide(
        &searching(),
        &found(vec![needing_documents("off_docs", 30000)]).into(),
        now(),
        &policy,
    )
    .unwrap();
    assert_eq!(decision.saga.phase.status(), "watching");
    assert!(decision.saga.identity_documents_needed);
    let deadline = decision.saga.deadline.unwrap();
    let timer = SagaTimer::Deadline {
        idempotency_key: decision.saga.phase.pending_key().unwrap().clone(),
    };
    let end = decide(
        &decision.saga,
        &TimerFired { timer }.into(),
        deadline,
        &policy,
    )
    .unwrap();
    let reason = failure(&end.saga);
    assert_eq!(
        reason,
        &FailureReason::DeadlinePassed {
            searches: 1,
            cheapest_seen: Some(usd(30000)),
            identity_documents_needed: true,
        }
    );
    assert!(
        reason.describe().contains("passport"),
        "{}",
        reason.describe()
    );
}

#[test]
fn an_infant_is_ordered_with_its_age() {
    let mut value = trip_json();
    value["passengers"][1]["born_on"] = json!("2026-01-10");
    let saga = searching_for(serde_json::from_value(value).unwrap());
    let authorizing = apply(&saga, found(vec![offer("off_1", 40000, 330, 0)])).saga;
    let ordering = apply(
        &authorizing,
        PaymentAuthorized {
            idempotency_key: key(Step::Authorize, 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        },
    );
    let Message::CreateOrder(order) = sent(&ordering) else {
        panic!("expected an order")
    };
    let ages: Vec<_> = order.passengers.iter().map(|p| p.age).collect();
    assert_eq!(ages, [Some(39), Some(1)]);
    assert!(!order.identity_documents_required);
}
