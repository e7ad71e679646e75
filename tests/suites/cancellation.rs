//! Cancellation by the traveller against the real system: before anything
//! is held, after booking (Duffel's two-step cancel, a refund of what the
//! fare allows, the emails), cancelling twice, and cancels racing bookings.

use std::collections::HashMap;
use std::time::Duration;

use autobook_contracts::Step;
use autobook_orchestrator::saga::{Phase, WatchPolicy};
use autobook_sandbox::Ledger;
use autobook_tests::control::settled_records;
use autobook_tests::trips::{trip, trip_with};
use autobook_tests::{TestSystem, spawn, spawn_with};
use uuid::Uuid;

/// Trips watched once an hour, so a trip that finds nothing waits.
async fn spawn_watching() -> TestSystem {
    spawn_with(|config| {
        config.orchestrator.policy.watch = Some(WatchPolicy {
            interval: Duration::from_secs(3600),
            ..WatchPolicy::default()
        });
    })
    .await
}

fn emails_of(ledger: &Ledger, id: Uuid, kind: &str) -> usize {
    ledger
        .emails
        .iter()
        .filter(|e| {
            e.tags
                .iter()
                .any(|t| t.name == "saga_id" && t.value == id.to_string())
                && e.tags.iter().any(|t| t.name == "kind" && t.value == kind)
        })
        .count()
}

#[tokio::test]
async fn a_watched_trip_cancelled_before_anything_is_held_just_stops() {
    let system = spawn_watching().await;
    let id = system
        .submit(trip_with(|t| t["max_price"]["amount_minor"] = 100.into()))
        .await;
    system.reaches(id, "watching").await;
    system.cancel(id).await;
    let row = system.reaches(id, "cancelled").await;
    assert!(
        matches!(
            row.saga.phase,
            Phase::Cancelled {
                charged: None,
                refunded: None,
                notified: true,
                ..
            }
        ),
        "{:?}",
        row.saga.phase
    );
    let ledger = system.ledger();
    assert!(ledger.payment_intents.is_empty(), "nothing was held");
    assert!(ledger.orders.is_empty(), "nothing was ordered");
    assert_eq!(emails_of(&ledger, id, "trip_cancelled"), 1);
    // Cancelling again is harmless: handled (in the inbox, so not
    // dead-lettered) and nothing changes.
    let again = system.cancel_envelope(id).await;
    system.handled(again.message_id).await;
    let after = system.saga(id).await.unwrap();
    assert_eq!(after.status, "cancelled");
    assert_eq!(after.version, row.version, "nothing changed");
    system.teardown().await;
}

#[tokio::test]
async fn a_booked_trip_cancelled_is_cancelled_at_the_airline_and_refunded_as_the_fare_allows() {
    let system = spawn().await;
    let id = system.submit(trip()).await;
    let booked = system.finished(id).await;
    let Phase::Booked { booking, .. } = &booked.saga.phase else {
        panic!("not booked: {:?}", booked.saga.phase);
    };
    system.cancel(id).await;
    let row = system.reaches(id, "cancelled").await;
    let Phase::Cancelled {
        booking_reference,
        charged,
        refunded,
        notified,
    } = &row.saga.phase
    else {
        panic!("not cancelled: {:?}", row.saga.phase);
    };
    assert!(notified);
    assert_eq!(
        booking_reference.as_deref(),
        Some(booking.order.booking_reference.as_str())
    );
    assert_eq!(*charged, Some(booking.captured));
    let ledger = system.ledger();
    let order = ledger
        .orders
        .iter()
        .find(|o| o.id == booking.order.order_id)
        .unwrap();
    assert!(order.cancelled, "the airline order is cancelled");
    let quote = ledger
        .order_cancellations
        .iter()
        .find(|c| c.order_id == order.id)
        .unwrap();
    assert!(quote.confirmed, "the quote was confirmed (the second step)");
    // The traveller gets back exactly what the airline's quote allowed.
    let intent = ledger
        .payment_intents
        .iter()
        .find(|i| i.id == booking.payment_intent_id)
        .unwrap();
    assert_eq!(
        intent.amount_refunded,
        quote.refund_amount.min(intent.amount_received)
    );
    assert_eq!(
        refunded.map_or(0, |m| m.amount_minor),
        intent.amount_refunded
    );
    let refunds: Vec<_> = ledger
        .refunds
        .iter()
        .filter(|r| r.payment_intent == intent.id)
        .collect();
    assert_eq!(
        refunds.len(),
        usize::from(intent.amount_refunded > 0),
        "one refund at most"
    );
    if let Some(refund) = refunds.first() {
        assert_eq!(
            refund.metadata.get("idempotency_key").map(String::as_str),
            Some(autobook_contracts::IdempotencyKey::derive(id, Step::Refund, 1).as_str())
        );
    }
    assert_eq!(emails_of(&ledger, id, "booking_confirmed"), 1);
    assert_eq!(emails_of(&ledger, id, "trip_cancelled"), 1);
    system.teardown().await;
}

/// The answers a cancel is sent right after, in the order a booking gives them.
const CANCEL_AFTER: &[&str] = &[
    "search.offers_found",
    "payment.authorized",
    "order.created",
    "payment.captured",
    "notification.sent",
];

#[tokio::test]
async fn cancels_racing_bookings_each_end_in_one_consistent_outcome() {
    let system = spawn().await;
    // Each trip is cancelled the moment one of its steps answers, so the
    // cancel races the next step: right after submitting, after the search,
    // after the hold, after the order, after the capture, after the email.
    let mut answers = system.observe(CANCEL_AFTER).await;
    let mut waiting: HashMap<Uuid, &str> = HashMap::new();
    let mut ids = Vec::new();
    for n in 0..18 {
        let id = system.submit(trip()).await;
        match CANCEL_AFTER.get(n % (CANCEL_AFTER.len() + 1)) {
            Some(step) => {
                waiting.insert(id, step);
            }
            None => system.cancel(id).await,
        }
        ids.push(id);
    }
    while !waiting.is_empty() {
        let answer = answers
            .next(Duration::from_secs(30))
            .await
            .expect("every trip's step answers");
        let step = answer.message_type().as_str();
        if waiting.get(&answer.saga_id) == Some(&step) {
            waiting.remove(&answer.saga_id);
            system.cancel(answer.saga_id).await;
        }
    }
    for id in &ids {
        system.reaches(*id, "cancelled").await;
    }
    let ledger = system.ledger();
    let mut phases = Vec::new();
    for id in &ids {
        let row = system.saga(*id).await.unwrap();
        let (_, orders) = settled_records(&ledger, *id);
        assert!(orders.iter().all(|o| o.cancelled), "{id}: no live ticket");
        phases.push((*id, row.saga.phase));
    }
    let report = autobook_harness::reconcile::reconcile(&phases, &ledger);
    assert!(report.ok, "{report:?}");
    system.teardown().await;
}
