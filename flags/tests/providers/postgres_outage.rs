//! The PostgreSQL provider when the database goes away: it keeps answering
//! from its copy only up to the staleness bound, then denies as
//! `Unavailable` (fail closed), and answers again once the database is
//! back. A database that never answered denies from the start.

use std::net::SocketAddr;
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

use autobook_flags::postgres::{PgFlagReader, ReaderConfig};
use autobook_flags::{DenyReason, FlagDecision, FlagError, FlagSource};

use crate::database::{TestDatabase, pool, server_options};
use crate::proxy::Proxy;

fn upstream() -> SocketAddr {
    let options = server_options();
    let host = match options.get_host() {
        "localhost" => "127.0.0.1",
        host => host,
    };
    format!("{host}:{}", options.get_port()).parse().unwrap()
}

#[tokio::test]
async fn a_lost_database_denies_after_the_staleness_bound_and_recovers() {
    let db = TestDatabase::new("outage").await;
    let proxy = Proxy::start(0, upstream()).await;
    let config = ReaderConfig {
        poll_interval: Duration::from_millis(200),
        staleness: Duration::from_millis(1500),
    };
    let through_proxy = db.options.clone().host("127.0.0.1").port(proxy.port);
    let reader = PgFlagReader::start(pool(through_proxy, 3).await, config);
    assert!(reader.wait_until_read(Duration::from_secs(10)).await);
    let before = reader.evaluate("usr_1").unwrap();

    let port = proxy.cut().await;
    let stale = reader
        .wait_until(Duration::from_secs(15), |r| match r.evaluate("usr_1") {
            Err(error @ FlagError::Stale { .. }) => Some(error),
            _ => None,
        })
        .await;
    let denied = reader.decide("usr_1");

    let proxy = Proxy::start(port, upstream()).await;
    let recovered = reader
        .wait_until(Duration::from_secs(20), |r| {
            r.evaluate("usr_1")
                .ok()
                .filter(|d| *d == FlagDecision::Allowed)
        })
        .await;

    reader.stop().await;
    proxy.cut().await;
    db.drop_now().await;
    assert_eq!(before, FlagDecision::Allowed);
    match stale {
        Some(FlagError::Stale { age, bound }) => {
            assert_eq!(bound, config.staleness);
            assert!(age > bound, "{age:?}");
        }
        other => panic!("the copy never went stale: {other:?}"),
    }
    assert_eq!(denied, FlagDecision::Denied(DenyReason::Unavailable));
    assert_eq!(
        recovered,
        Some(FlagDecision::Allowed),
        "answers again once back"
    );
}

#[tokio::test]
async fn a_database_that_never_answered_denies() {
    // Nothing listens on this port once the proxy is cut.
    let port = Proxy::start(0, upstream()).await.cut().await;
    let options = server_options().host("127.0.0.1").port(port);
    let lazy = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(500))
        .connect_lazy_with(options);
    let reader = PgFlagReader::start(
        lazy,
        ReaderConfig {
            poll_interval: Duration::from_millis(200),
            staleness: Duration::from_secs(5),
        },
    );
    let read = reader.wait_until_read(Duration::from_secs(2)).await;
    let evaluated = reader.evaluate("usr_1");
    let decided = reader.decide("usr_1");
    reader.stop().await;

    assert!(!read);
    assert!(
        matches!(evaluated, Err(FlagError::NotLoaded)),
        "{evaluated:?}"
    );
    assert_eq!(decided, FlagDecision::Denied(DenyReason::Unavailable));
}
