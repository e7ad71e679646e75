//! Pruning the bookkeeping: published outbox rows, inbox ids and completed
//! provider calls go once past their windows, never before, never an
//! unpublished row or a call still in flight, and trips book exactly once
//! while the sweeps run with no window at all.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use autobook_contracts::{Envelope, IdempotencyKey, Message, Step};
use autobook_orchestrator::pruning::{PruneConfig, Pruned, prune};
use autobook_orchestrator::saga::{Phase, Policy};
use autobook_orchestrator::store::{Handled, SagaStore};
use autobook_orchestrator::testing;
use autobook_tests::database::Database;
use autobook_tests::trips::trip;
use autobook_tests::{spawn, spawn_with};
use autobook_vault::Keyring;
use autobook_workers::pruning::{CallPruning, prune_calls};
use autobook_workers::worker::calls;

/// `n` hours.
fn hours(n: i64) -> chrono::Duration {
    chrono::Duration::hours(n)
}

#[tokio::test]
async fn rows_go_once_past_their_windows_and_not_before() {
    let system = spawn().await;
    let id = system.submit(trip()).await;
    let row = system.finished(id).await;
    assert!(matches!(row.saga.phase, Phase::Booked { .. }));
    let pool = &system.stack().pool;
    let sent = testing::outbox::of_saga(pool, id).await.unwrap();
    assert!(sent.len() >= 5, "{sent:?}");
    let handled = testing::inbox::count(pool).await.unwrap();
    assert!(handled >= 6, "{handled}");
    let calls = autobook_workers::testing::completed_count(pool)
        .await
        .unwrap();
    assert!(calls >= 5, "{calls}");
    let config = PruneConfig::default();
    let calls_config = CallPruning::default();
    let now = Utc::now();

    // Inside every window: nothing goes.
    assert_eq!(prune(pool, now, &config).await.unwrap(), Pruned::default());
    assert_eq!(prune_calls(pool, now, &calls_config).await.unwrap(), 0);

    // A day later the published outbox rows go; the inbox ids stay.
    let pruned = prune(pool, now + hours(25), &config).await.unwrap();
    assert_eq!(pruned.outbox, sent.len() as u64);
    assert_eq!(pruned.inbox, 0);
    assert!(testing::outbox::of_saga(pool, id).await.unwrap().is_empty());
    assert_eq!(testing::inbox::count(pool).await.unwrap(), handled);

    // Two weeks later the inbox ids go too.
    let pruned = prune(pool, now + hours(15 * 24), &config).await.unwrap();
    assert_eq!(pruned.inbox, handled as u64);
    assert_eq!(testing::inbox::count(pool).await.unwrap(), 0);

    // The provider calls stay for their own, longer window.
    let later = now + hours(29 * 24);
    assert_eq!(prune_calls(pool, later, &calls_config).await.unwrap(), 0);
    let much_later = now + hours(31 * 24);
    let pruned = prune_calls(pool, much_later, &calls_config).await.unwrap();
    assert_eq!(pruned, calls as u64);
    assert_eq!(
        autobook_workers::testing::completed_count(pool)
            .await
            .unwrap(),
        0
    );

    // History stays: the saga, its audit trail and its booking.
    assert!(system.audit_statuses(id).await.len() >= 6);
    assert_eq!(
        testing::records::bookings_of_saga_count(pool, id)
            .await
            .unwrap(),
        1
    );
    system.teardown().await;
}

#[tokio::test]
async fn an_unpublished_row_and_a_call_in_flight_are_never_pruned() {
    // A store with no relay anywhere: the trip's search command stays
    // unpublished in the outbox.
    let database = Database::create(4).await;
    let pool = database.pool.clone();
    let vault = Keyring::generate("k1").unwrap();
    let store = SagaStore::new(pool.clone(), Policy::default(), vault);
    let saga = Uuid::now_v7();
    let start = Envelope::new(saga, trip());
    let handled = store.handle(&start, Utc::now()).await.unwrap();
    assert!(matches!(handled, Handled::Applied { .. }), "{handled:?}");
    let [search] = testing::outbox::of_saga(&pool, saga)
        .await
        .unwrap()
        .try_into()
        .unwrap();
    // Claimed and never completed: in flight.
    let key = IdempotencyKey::derive(saga, Step::Search, 1);
    let command = Envelope::new(saga, Message::from(trip()));
    let claim = calls::claim(&pool, &key, &command, "search", false)
        .await
        .unwrap();
    assert!(matches!(claim, calls::Claim::Owned { .. }), "{claim:?}");

    let far = Utc::now() + hours(365 * 24);
    let pruned = prune(&pool, far, &PruneConfig::default()).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            outbox: 0,
            inbox: 1
        }
    );
    assert_eq!(
        prune_calls(&pool, far, &CallPruning::default())
            .await
            .unwrap(),
        0
    );
    let [kept] = testing::outbox::of_saga(&pool, saga)
        .await
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        (kept.id, kept.body),
        (search.id, search.body),
        "the unpublished row is kept as it was"
    );
    assert!(
        !testing::inbox::holds(&pool, start.message_id)
            .await
            .unwrap()
    );
    let call = autobook_workers::testing::call(&pool, key.as_str())
        .await
        .unwrap();
    assert_eq!(call.status, "in_flight");
    database.drop().await;
}

#[tokio::test]
async fn trips_book_exactly_once_while_pruning_runs_with_no_window() {
    let eager = Duration::from_millis(10);
    let system = spawn_with(|config| {
        config.orchestrator.pruning = PruneConfig {
            outbox_window: Duration::ZERO,
            inbox_window: Duration::ZERO,
            batch_size: 3,
            interval: eager,
        };
        config.call_pruning = CallPruning {
            window: Duration::ZERO,
            batch_size: 3,
            interval: eager,
        };
    })
    .await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(system.submit(trip()).await);
    }
    let mut transitions = 0;
    for id in &ids {
        let row = system.finished(*id).await;
        assert!(
            matches!(row.saga.phase, Phase::Booked { .. }),
            "{:?}",
            row.saga.phase
        );
        transitions += system.audit_statuses(*id).await.len() as i64;
    }
    let ledger = system.ledger();
    assert_eq!(ledger.orders.len(), ids.len(), "one order per trip");
    let captured = ledger
        .payment_intents
        .iter()
        .filter(|intent| intent.amount_received > 0)
        .count();
    assert_eq!(captured, ids.len(), "one capture per trip");
    assert_eq!(ledger.payment_intents.len(), ids.len(), "one hold per trip");
    // Every applied message left an inbox id and an audit row; the sweeps
    // took inbox ids while the trips ran.
    let pool = &system.stack().pool;
    let kept = testing::inbox::count(pool).await.unwrap();
    assert!(kept < transitions, "{kept} of {transitions} inbox ids kept");
    system.teardown().await;
}
