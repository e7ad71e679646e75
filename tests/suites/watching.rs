//! Price watching against the real system: the saga waits on durable
//! timers, searches again when the clock says so, books once a price is
//! within the trip's maximum, and gives up at the deadline. Time is driven
//! through the stack's clock (orchestrators and sandbox together); nothing
//! waits for the wall clock.

use std::time::Duration;

use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::saga::{Phase, WatchPolicy};
use autobook_sandbox::FaultScript;
use autobook_tests::trips::trip_with;
use autobook_tests::{TestSystem, spawn_with};
use uuid::Uuid;

const HOUR: Duration = Duration::from_secs(3600);

/// Watched trips search again every `interval`, without jitter.
async fn spawn_watching(interval: Duration) -> TestSystem {
    spawn_with(|config| {
        config.orchestrator.policy.watch = Some(WatchPolicy {
            interval,
            min_interval: Duration::from_secs(60),
            tighten_within: Duration::ZERO,
            jitter: 0.0,
            max_watch: None,
        });
    })
    .await
}

/// Waits for the saga to watch after its `searches`-th search.
async fn watching_after(system: &TestSystem, id: Uuid, searches: u32) {
    system
        .until(id, "watching", |row| {
            row.status == "watching" && row.saga.epoch == searches
        })
        .await;
}

#[tokio::test]
async fn a_price_that_drops_after_three_re_searches_is_booked_at_the_lower_price() {
    let system = spawn_watching(HOUR).await;
    // Fares three times the usual for the first search and two re-searches,
    // then a third of it: no JFK-LAX fare is within 400 USD at three times
    // the price, and every one is at a third.
    system.script(FaultScript {
        prices: vec![3.0, 3.0, 3.0, 0.3],
        ..FaultScript::default()
    });
    let max = 40_000;
    let id = system
        .submit(trip_with(|t| t["max_price"]["amount_minor"] = max.into()))
        .await;
    for searches in 1..=3 {
        watching_after(&system, id, searches).await;
        assert!(
            system.ledger().payment_intents.is_empty(),
            "nothing held while watching"
        );
        system.stack().advance_clock(HOUR);
    }
    let row = system.finished(id).await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("expected a booking, got {:?}", row.saga.phase);
    };
    assert!(
        booking.captured.amount_minor <= max,
        "booked within the maximum"
    );
    let cheapest_seen = row.saga.cheapest_seen.unwrap();
    assert_eq!(
        cheapest_seen, booking.offer.total,
        "the booked fare is the cheapest seen"
    );
    assert_eq!(row.saga.epoch, 4, "one search and three re-searches");
    let ledger = system.ledger();
    assert_eq!(ledger.offer_requests, 4);
    assert_eq!(ledger.payment_intents.len(), 1);
    assert_eq!(
        ledger.payment_intents[0].amount_received,
        booking.captured.amount_minor
    );
    system.teardown().await;
}

#[tokio::test]
async fn a_price_that_never_drops_is_released_at_the_deadline_with_nothing_held() {
    let system = spawn_watching(12 * HOUR).await;
    // The traveller books by the day after tomorrow (a New York date).
    let book_by = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let id = system
        .submit(trip_with(|t| {
            t["max_price"]["amount_minor"] = 100.into();
            t["book_by"] = serde_json::json!(book_by);
        }))
        .await;
    let deadline = loop {
        let row = system
            .until(id, "watching or failed", |row| {
                row.status == "watching" || row.saga.phase.is_terminal()
            })
            .await;
        if row.saga.phase.is_terminal() {
            break row;
        }
        let searches = row.saga.epoch;
        assert!(searches < 10, "the watch must end at the deadline");
        system.stack().advance_clock(12 * HOUR);
        system
            .until(id, "the next round", |row| {
                row.saga.epoch > searches || row.saga.phase.is_terminal()
            })
            .await;
    };
    let row = system.finished(deadline.id).await;
    let Phase::Failed {
        reason:
            FailureReason::DeadlinePassed {
                searches,
                cheapest_seen,
                identity_documents_needed: false,
            },
        notified: true,
    } = &row.saga.phase
    else {
        panic!("expected release at the deadline, got {:?}", row.saga.phase);
    };
    assert!(
        *searches >= 4,
        "watched for two days or more: {searches} searches"
    );
    assert!(cheapest_seen.unwrap().amount_minor > 100);
    let ledger = system.ledger();
    assert!(ledger.payment_intents.is_empty(), "nothing was ever held");
    assert!(ledger.orders.is_empty());
    assert_eq!(ledger.offer_requests, u64::from(*searches));
    system.teardown().await;
}
