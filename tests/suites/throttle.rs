//! The shared provider rate limit in real Redis: a per-second budget per
//! provider, and calls that proceed when Redis is unreachable.

use std::time::Duration;

use uuid::Uuid;

use autobook_workers::providers::Provider;
use autobook_workers::worker::throttle::{RateLimits, Slot, Throttle};

fn limits() -> RateLimits {
    RateLimits {
        duffel: 0,
        stripe: 5,
        email: 3,
    }
}

#[tokio::test]
async fn each_provider_gets_its_budget_per_second() {
    let namespace = format!("t-throttle-{}", Uuid::new_v4().simple());
    let throttle = Throttle::redis(&autobook_tests::redis_url(), &namespace, limits()).unwrap();
    let second = Duration::from_secs(1_900_000_000) + Duration::from_millis(250);
    for _ in 0..3 {
        assert_eq!(
            throttle.try_acquire_at(Provider::Email, second).await,
            Slot::Granted
        );
    }
    let Slot::Wait(delay) = throttle.try_acquire_at(Provider::Email, second).await else {
        panic!("the fourth email in one second must wait")
    };
    assert!(
        delay > Duration::from_millis(700) && delay <= Duration::from_millis(760),
        "{delay:?}"
    );
    assert_eq!(
        throttle.try_acquire_at(Provider::Stripe, second).await,
        Slot::Granted,
        "budgets are per provider"
    );
    for _ in 0..50 {
        assert_eq!(
            throttle.try_acquire_at(Provider::Duffel, second).await,
            Slot::Granted,
            "0 is unlimited"
        );
    }
    let next = second + Duration::from_secs(1);
    assert_eq!(
        throttle.try_acquire_at(Provider::Email, next).await,
        Slot::Granted,
        "a new second, a new budget"
    );
    let other = Throttle::redis(
        &autobook_tests::redis_url(),
        &format!("{namespace}-b"),
        limits(),
    )
    .unwrap();
    assert_eq!(
        other.try_acquire_at(Provider::Email, second).await,
        Slot::Granted,
        "namespaces do not share budgets"
    );
}

#[tokio::test]
async fn calls_proceed_when_redis_is_unreachable() {
    let throttle = Throttle::redis("redis://127.0.0.1:1", "t-unreachable", limits()).unwrap();
    for _ in 0..5 {
        assert_eq!(
            throttle
                .try_acquire_at(Provider::Email, Duration::from_secs(1))
                .await,
            Slot::Granted
        );
    }
}
