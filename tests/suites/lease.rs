//! Leases with fencing tokens in real Redis: one holder at a time, tokens
//! that only grow, a paused former holder refused by Redis and by a fenced
//! PostgreSQL write, and no lease at all without Redis.

use std::time::Duration;

use sqlx::Connection;
use uuid::Uuid;

use autobook_workers::lease::{Lease, Leases};

fn leases() -> Leases {
    leases_in(&namespace())
}

fn namespace() -> String {
    format!("t-lease-{}", Uuid::new_v4().simple())
}

fn leases_in(namespace: &str) -> Leases {
    Leases::redis(&autobook_tests::redis_url(), namespace).unwrap()
}

const TTL: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_lease_has_one_holder_and_each_grant_a_greater_token() {
    let leases = leases();
    let a = leases.acquire("sweeper", "a", TTL).await.unwrap();
    assert_eq!(leases.acquire("sweeper", "b", TTL).await, None);
    assert!(leases.renew(&a, TTL).await);
    let forged = Lease {
        holder: "b".into(),
        ..a.clone()
    };
    assert!(!leases.release(&forged).await, "only the holder releases");
    assert!(leases.is_current(&a).await);
    let other = leases.acquire("archiver", "b", TTL).await.unwrap();
    assert!(other.token > 0, "names are independent");

    assert!(leases.release(&a).await);
    assert!(!leases.is_current(&a).await);
    let b = leases.acquire("sweeper", "b", TTL).await.unwrap();
    assert!(b.token > a.token, "{} then {}", a.token, b.token);
    let a_again = {
        assert!(leases.release(&b).await);
        leases.acquire("sweeper", "a", TTL).await.unwrap()
    };
    assert!(a_again.token > b.token);
}

#[tokio::test]
async fn a_paused_former_holder_is_refused_everywhere() {
    let namespace = namespace();
    let leases = leases_in(&namespace);
    let paused = leases.acquire("sweeper", "a", TTL).await.unwrap();
    assert_eq!(leases.acquire("sweeper", "b", TTL).await, None);
    // The holder "pauses" past its time to live: Redis lets the key lapse,
    // here at once instead of after the TTL, and another takes over.
    let key = format!("{namespace}:lease:sweeper");
    let mut redis = redis::Client::open(autobook_tests::redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(
        ttl_ms > 0 && ttl_ms <= 30_000,
        "the lease lapses by itself: {ttl_ms} ms"
    );
    let lapsed: i64 = redis::cmd("PEXPIRE")
        .arg(&key)
        .arg(0)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!(lapsed, 1);
    let current = leases
        .acquire("sweeper", "b", TTL)
        .await
        .expect("the lease lapsed");
    assert!(current.token > paused.token);
    assert!(!leases.renew(&paused, TTL).await);
    assert!(!leases.release(&paused).await);
    assert!(!leases.is_current(&paused).await);
    assert!(leases.is_current(&current).await);

    // Whatever the lease protects checks the token: a fenced write.
    let mut db = sqlx::PgConnection::connect(&autobook_tests::database_url())
        .await
        .unwrap();
    sqlx::query("CREATE TEMP TABLE fenced (name text PRIMARY KEY, fence bigint NOT NULL, done_by text NOT NULL)")
        .execute(&mut db)
        .await
        .unwrap();
    sqlx::query("INSERT INTO fenced VALUES ('sweeper', 0, 'nobody')")
        .execute(&mut db)
        .await
        .unwrap();
    let write = |lease: &Lease| {
        sqlx::query(
            "UPDATE fenced SET fence = $1, done_by = $2 WHERE name = 'sweeper' AND fence <= $1",
        )
        .bind(lease.token_i64())
        .bind(lease.holder.clone())
    };
    let by_current = write(&current).execute(&mut db).await.unwrap();
    let by_paused = write(&paused).execute(&mut db).await.unwrap();
    assert_eq!(by_current.rows_affected(), 1);
    assert_eq!(by_paused.rows_affected(), 0, "a stale token writes nothing");
    let done_by: String = sqlx::query_scalar("SELECT done_by FROM fenced")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(done_by, "b");
}

#[tokio::test]
async fn without_redis_no_lease_is_granted_or_confirmed() {
    let leases = Leases::redis("redis://127.0.0.1:1", "t-unreachable").unwrap();
    assert_eq!(leases.acquire("sweeper", "a", TTL).await, None);
    let imagined = Lease {
        name: "sweeper".into(),
        holder: "a".into(),
        token: 1,
    };
    assert!(!leases.renew(&imagined, TTL).await);
    assert!(!leases.is_current(&imagined).await);
}
