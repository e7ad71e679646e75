//! Leases with fencing tokens in real Redis: one holder at a time, tokens
//! that only grow, a paused former holder refused by Redis and by a fenced
//! PostgreSQL write, and no lease at all without Redis.

use std::time::{Duration, Instant};

use sqlx::Connection;
use uuid::Uuid;

use autobook_workers::lease::{Lease, Leases};

fn leases() -> Leases {
    let namespace = format!("t-lease-{}", Uuid::new_v4().simple());
    Leases::redis(&autobook_tests::redis_url(), &namespace).unwrap()
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
    let leases = leases();
    let paused = leases
        .acquire("sweeper", "a", Duration::from_millis(200))
        .await
        .unwrap();
    // The holder "pauses" past its time to live; another takes over.
    let deadline = Instant::now() + Duration::from_secs(10);
    let current = loop {
        if let Some(lease) = leases.acquire("sweeper", "b", TTL).await {
            break lease;
        }
        assert!(Instant::now() < deadline, "the lease never lapsed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
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
