//! The demo, small: a mixed run finishes every saga and reconciles; a
//! watch run books what came within its limit and releases the rest.

use autobook::cli::{DemoArgs, Scenario};
use autobook::settings::Connections;
use uuid::Uuid;

#[tokio::test]
async fn a_mixed_demo_run_loses_nothing_and_reconciles() {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    let args = DemoArgs {
        trips: 40,
        scenario: Scenario::Mixed,
        json: true,
        timeout_secs: 120,
        watch_secs: 60,
        seed: 11,
        database: format!("autobook_test_demo_{id}"),
        namespace: format!("t-demo-{id}"),
        connections: Connections {
            database_url: autobook_tests::database_url(),
            amqp_url: autobook_tests::amqp_url(),
            redis_url: autobook_tests::redis_url(),
        },
    };
    let summary = autobook::demo::execute(&args).await.unwrap();
    assert_eq!(summary.trips, 40);
    assert_eq!(summary.lost, 0);
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    assert!(summary.booked > 0 && summary.failed > 0, "{summary:?}");
    assert!(
        summary.failures.contains_key("payment_declined"),
        "{:?}",
        summary.failures
    );
    assert_eq!(summary.booked + summary.failed + summary.stuck, 40);
    autobook::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_watch_demo_run_books_what_came_within_its_limit_and_releases_the_rest() {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    let args = DemoArgs {
        trips: 60,
        scenario: Scenario::Watch,
        json: true,
        timeout_secs: 120,
        watch_secs: 8,
        seed: 5,
        database: format!("autobook_test_demo_{id}"),
        namespace: format!("t-demo-{id}"),
        connections: Connections {
            database_url: autobook_tests::database_url(),
            amqp_url: autobook_tests::amqp_url(),
            redis_url: autobook_tests::redis_url(),
        },
    };
    let summary = autobook::demo::execute(&args).await.unwrap();
    assert_eq!(summary.lost, 0, "{summary:?}");
    assert!(
        summary.reconciliation.ok,
        "{:?}",
        summary.reconciliation.mismatches
    );
    let watch = summary.watch.clone().expect("watch figures");
    assert!(watch.clean(), "{watch:?}");
    assert!(watch.booked > 0 && watch.released > 0, "{watch:?}");
    assert_eq!(watch.booked + watch.released, 60, "{summary:?}");
    assert!(
        watch.searches > 60,
        "trips were searched again while watched: {watch:?}"
    );
    autobook::services::drop_database(&args.connections.database_url, &args.database)
        .await
        .unwrap();
}
