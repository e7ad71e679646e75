//! The shared provider rate limit in real Redis: a token bucket per
//! provider that every limiter on the namespace shares, 429 blocks seen by
//! all of them, and a local fallback when Redis is unreachable.

use std::time::Duration;

use uuid::Uuid;

use autobook_throttle::{RateLimit, Reservation, Source, Throttle};
use autobook_workers::providers::Provider;
use autobook_workers::providers::RateLimits;

fn limits() -> RateLimits {
    RateLimits {
        duffel: None,
        stripe: RateLimit::new(4.0, 3),
        email: RateLimit::new(2.0, 1),
        fallback_share: 0.5,
    }
}

fn namespace() -> String {
    format!("t-throttle-{}", Uuid::new_v4().simple())
}

fn shared(namespace: &str) -> Throttle<RateLimits> {
    Throttle::redis(&autobook_tests::redis_url(), namespace, limits()).unwrap()
}

async fn waits(
    throttle: &Throttle<RateLimits>,
    provider: Provider,
    n: usize,
    source: Source,
) -> Vec<Duration> {
    let mut waits = Vec::new();
    for _ in 0..n {
        let reservation = throttle.reserve(provider).await.unwrap();
        assert_eq!(reservation.source, source);
        waits.push(reservation.wait);
    }
    waits
}

/// `wait` is `expected` less the little time that passed between the
/// reservations (they are made back to back).
fn about(wait: Duration, expected: Duration) -> bool {
    wait <= expected && wait + Duration::from_millis(150) >= expected
}

#[tokio::test]
async fn the_burst_goes_at_once_and_later_calls_get_slots_one_interval_apart() {
    let throttle = shared(&namespace());
    let waits = waits(&throttle, Provider::Stripe, 6, Source::Shared).await;
    assert_eq!(&waits[..3], &[Duration::ZERO; 3], "{waits:?}");
    for (n, wait) in waits[3..].iter().enumerate() {
        let expected = Duration::from_millis(250 * (n as u64 + 1));
        assert!(about(*wait, expected), "call {}: {wait:?}", n + 3);
    }
    assert_eq!(
        throttle.reserve(Provider::Duffel).await,
        None,
        "an unlimited provider"
    );
}

#[tokio::test]
async fn limiters_on_one_namespace_share_the_bucket_and_others_do_not() {
    let namespace = namespace();
    let first = shared(&namespace);
    let second = shared(&namespace);
    waits(&first, Provider::Stripe, 3, Source::Shared).await;
    let Reservation { wait, .. } = second.reserve(Provider::Stripe).await.unwrap();
    assert!(
        about(wait, Duration::from_millis(250)),
        "the burst was spent by the other limiter: {wait:?}"
    );
    let Reservation { wait, .. } = second.reserve(Provider::Email).await.unwrap();
    assert_eq!(wait, Duration::ZERO, "buckets are per provider");
    let elsewhere = shared(&format!("{namespace}-b"));
    let Reservation { wait, .. } = elsewhere.reserve(Provider::Stripe).await.unwrap();
    assert_eq!(wait, Duration::ZERO, "namespaces do not share buckets");
}

#[tokio::test]
async fn a_429_seen_by_one_limiter_holds_back_every_limiter() {
    let namespace = namespace();
    let refused = shared(&namespace);
    let other = shared(&namespace);
    assert!(
        refused
            .block(Provider::Stripe, Duration::from_secs(2))
            .await
    );
    let Reservation { wait, source } = other.reserve(Provider::Stripe).await.unwrap();
    assert_eq!(source, Source::Shared);
    assert!(about(wait, Duration::from_secs(2)), "{wait:?}");
    let Reservation { wait, .. } = other.reserve(Provider::Stripe).await.unwrap();
    assert!(
        about(wait, Duration::from_millis(2_250)),
        "calls resume one interval apart, without a burst: {wait:?}"
    );
}

#[tokio::test]
async fn without_redis_each_process_falls_back_to_its_share_of_the_limit() {
    let throttle = Throttle::redis("redis://127.0.0.1:1", "t-unreachable", limits()).unwrap();
    // Half of 4/s with a burst of 3: 2/s with a burst of 1.
    let waits = waits(&throttle, Provider::Stripe, 3, Source::Local).await;
    assert_eq!(waits[0], Duration::ZERO);
    assert!(about(waits[1], Duration::from_millis(500)), "{waits:?}");
    assert!(about(waits[2], Duration::from_millis(1_000)), "{waits:?}");
    assert!(
        throttle
            .block(Provider::Stripe, Duration::from_secs(3))
            .await,
        "a 429 holds the local bucket too"
    );
    let Reservation { wait, .. } = throttle.reserve(Provider::Stripe).await.unwrap();
    assert!(about(wait, Duration::from_secs(3)), "{wait:?}");
}
