//! Scale-out and duplicate delivery at volume: several orchestrators and
//! several instances of every worker compete for a mixed run; and every
//! message published twice changes no outcome.

use std::collections::BTreeMap;

use autobook_harness::demo::args::DemoArgs;
use autobook_harness::demo::args::Scenario;
use autobook_harness::reconcile::reconcile;
use autobook_roles::settings::Connections;
use autobook_tests::spawn_with;
use autobook_tests::trips::trip_with;
use uuid::Uuid;

fn demo_args(trips: usize, seed: u64) -> DemoArgs {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    DemoArgs {
        trips,
        scenario: Scenario::Mixed,
        json: true,
        timeout_secs: 240,
        watch_secs: 60,
        seed,
        database: format!("autobook_test_scale_{id}"),
        namespace: format!("t-scale-{id}"),
        connections: Connections {
            database_url: autobook_tests::database_url(),
            amqp_url: autobook_tests::amqp_url(),
            redis_url: autobook_tests::redis_url(),
            message_keys: None,
        },
        data_keys: None,
        via_gateway: false,
        hostile: false,
        console: false,
        console_settings: Default::default(),
    }
}

#[tokio::test]
async fn two_orchestrators_and_two_of_each_worker_finish_300_mixed_sagas() {
    let args = demo_args(300, 23);
    let summary = autobook_harness::demo::execute_with(&args, |config| {
        config.orchestrators = 2;
        config.worker_instances = 2;
    })
    .await
    .unwrap();
    assert_eq!(summary.lost, 0, "{summary:?}");
    assert_eq!(summary.booked + summary.failed + summary.stuck, 300);
    assert_eq!(summary.stuck, 0, "{summary:?}");
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    assert!(summary.booked > 0 && summary.failed > 0, "{summary:?}");
    autobook_roles::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}

#[tokio::test]
async fn every_message_delivered_twice_in_a_mixed_run_still_reconciles() {
    let args = demo_args(120, 29);
    let summary = autobook_harness::demo::execute_with(&args, |config| {
        config.duplicate_deliveries = true;
        config.worker_instances = 2;
    })
    .await
    .unwrap();
    assert_eq!(summary.lost, 0, "{summary:?}");
    assert_eq!(summary.stuck, 0, "{summary:?}");
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    autobook_roles::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}

/// Trips whose outcome follows from their own data (the card), not from
/// random faults: the same set run with and without duplicate delivery.
async fn outcomes(duplicates: bool) -> (BTreeMap<usize, String>, i64) {
    let system = spawn_with(|config| {
        config.duplicate_deliveries = duplicates;
        config.worker_instances = 2;
    })
    .await;
    let cards = [
        "pm_card_visa",
        "pm_card_chargeDeclined",
        "pm_card_visa",
        "pm_card_chargeDeclinedInsufficientFunds",
        "pm_card_mastercard",
    ];
    let destinations = ["LAX", "SFO", "SEA", "ORD", "BOS", "MIA", "DEN", "ATL"];
    let mut ids = Vec::new();
    for n in 0..24 {
        let trip = trip_with(|t| {
            t["destination"] = destinations[n % destinations.len()].into();
            t["payment"]["payment_method"] = cards[n % cards.len()].into();
        });
        ids.push(system.submit(trip).await);
    }
    let mut by_trip = BTreeMap::new();
    let mut phases = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let row = system.finished(*id).await;
        let outcome = match &row.saga.phase {
            autobook_orchestrator::saga::Phase::Failed { reason, .. } => {
                format!("failed:{}", reason.code())
            }
            phase => phase.status().to_owned(),
        };
        by_trip.insert(n, outcome);
        phases.push((*id, row.saga.phase));
    }
    let report = reconcile(&phases, &system.ledger());
    assert!(report.ok, "{:?}", report.mismatches);
    let duplicates_seen = autobook_workers::testing::completed_count(&system.stack().pool)
        .await
        .unwrap();
    system.teardown().await;
    (by_trip, duplicates_seen)
}

#[tokio::test]
async fn duplicate_delivery_gives_identical_outcomes() {
    let (single, calls_single) = outcomes(false).await;
    let (double, calls_double) = outcomes(true).await;
    assert_eq!(single, double);
    // One ledger row per step either way: the copies were replays, not calls.
    assert_eq!(calls_single, calls_double);
    assert!(single.values().any(|o| o == "booked"));
    assert!(single.values().any(|o| o.starts_with("failed:")));
}
