//! The demo, small: a mixed run finishes every saga and reconciles (the
//! sandbox's ledger and the reconciliation job both agree with every
//! saga); a watch run books what came within its limit and releases the
//! rest; a mixed run with a hostile publisher alongside refuses every
//! forgery and still reconciles.

use autobook_harness::demo::args::DemoArgs;
use autobook_harness::demo::args::Scenario;
use autobook_roles::settings::Connections;
use uuid::Uuid;

/// A run of `trips` in a database and namespace of its own.
pub(crate) fn demo_args(trips: usize, scenario: Scenario, seed: u64, watch_secs: u64) -> DemoArgs {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    DemoArgs {
        trips,
        scenario,
        json: true,
        timeout_secs: 120,
        watch_secs,
        seed,
        database: format!("autobook_test_demo_{id}"),
        namespace: format!("t-demo-{id}"),
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
async fn a_mixed_demo_run_loses_nothing_and_reconciles() {
    let args = demo_args(40, Scenario::Mixed, 11, 60);
    let summary = autobook_harness::demo::execute(&args).await.unwrap();
    assert_eq!(summary.trips, 40);
    assert_eq!(summary.lost, 0);
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    assert!(
        summary.reconciliation_job.ok,
        "{:?}",
        summary.reconciliation_job
    );
    assert!(summary.booked > 0 && summary.failed > 0, "{summary:?}");
    assert!(
        summary.failures.contains_key("payment_declined"),
        "{:?}",
        summary.failures
    );
    assert_eq!(summary.booked + summary.failed + summary.stuck, 40);
    autobook_roles::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_mixed_demo_run_with_a_hostile_publisher_refuses_every_forgery() {
    let mut args = demo_args(20, Scenario::Mixed, 13, 60);
    args.hostile = true;
    let summary = autobook_harness::demo::execute(&args).await.unwrap();
    assert_eq!(summary.lost, 0, "{summary:?}");
    assert!(summary.reconciled(), "{summary:?}");
    let hostile = summary
        .hostile
        .clone()
        .expect("the hostile publisher's figures");
    assert!(hostile.all_refused(), "{hostile:?}");
    // Eight forgeries a saga: one on the commands exchange, which RabbitMQ
    // refuses the notify worker; the rest (a replay among them)
    // dead-lettered for their sender or their missing signature.
    assert_eq!(hostile.forged, 20 * 8, "{hostile:?}");
    assert_eq!(hostile.refused_by_broker, 20, "{hostile:?}");
    assert_eq!(
        hostile.dead_lettered.get("unsigned"),
        Some(&120),
        "{hostile:?}"
    );
    assert_eq!(
        hostile.dead_lettered.get("forbidden_sender"),
        Some(&20),
        "{hostile:?}"
    );
    autobook_roles::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_watch_demo_run_books_what_came_within_its_limit_and_releases_the_rest() {
    let args = demo_args(60, Scenario::Watch, 5, 8);
    let summary = autobook_harness::demo::execute(&args).await.unwrap();
    assert_eq!(summary.lost, 0, "{summary:?}");
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    assert!(
        summary.reconciliation_job.ok,
        "{:?}",
        summary.reconciliation_job
    );
    let watch = summary.watch.clone().expect("watch figures");
    assert!(watch.clean(), "{watch:?}");
    assert!(watch.booked > 0 && watch.released > 0, "{watch:?}");
    assert_eq!(watch.booked + watch.released, 60, "{summary:?}");
    assert!(
        watch.searches > 60,
        "trips were searched again while watched: {watch:?}"
    );
    autobook_roles::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_demo_run_through_the_gateway_takes_every_trip_over_http() {
    let mut args = demo_args(30, Scenario::Mixed, 13, 60);
    args.via_gateway = true;
    let summary = autobook_harness::demo::execute(&args).await.unwrap();
    assert_eq!(summary.via, "gateway");
    let gateway = summary.gateway.as_ref().expect("gateway figures");
    assert_eq!(gateway.accepted, 30, "{summary:?}");
    assert_eq!(summary.lost, 0, "{summary:?}");
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    assert!(
        summary.reconciliation_job.ok,
        "{:?}",
        summary.reconciliation_job
    );
    assert!(summary.booked > 0, "{summary:?}");
    assert!(
        gateway.webhooks_recorded > 0,
        "the sandbox's Stripe webhooks reached the gateway: {summary:?}"
    );
    autobook_roles::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}
