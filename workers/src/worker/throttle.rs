//! A distributed rate limit on provider calls, shared by every worker
//! instance through Redis: at most N calls per provider per second.
//!
//! Each second has a counter key that expires on its own. Over the limit,
//! a caller waits for the next second. Redis protects the providers, not
//! correctness: if Redis is unreachable the call proceeds (fail open) and
//! the provider's own 429s, which the clients honour, are the fallback.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::metric_definitions::{RATE_LIMITER_UNAVAILABLE, THROTTLED_CALLS};
use crate::providers::Provider;

/// Calls per second allowed per provider; 0 means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub duffel: u32,
    pub stripe: u32,
    pub email: u32,
}

impl RateLimits {
    fn of(&self, provider: Provider) -> u32 {
        match provider {
            Provider::Duffel => self.duffel,
            Provider::Stripe => self.stripe,
            Provider::Email => self.email,
        }
    }
}

/// The answer for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Granted,
    /// The second's budget is spent; try again after this long.
    Wait(Duration),
}

/// The limiter; cheap to clone.
#[derive(Clone)]
pub struct Throttle {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    redis: ConnectionManager,
    prefix: String,
    limits: RateLimits,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limits = self.inner.as_ref().map(|i| i.limits);
        f.debug_struct("Throttle").field("limits", &limits).finish()
    }
}

impl Throttle {
    /// No limit at all.
    pub fn disabled() -> Self {
        Throttle { inner: None }
    }

    /// A limiter in Redis at `url`, keyed under `namespace`. Connects
    /// lazily, so a worker starts even while Redis is down.
    pub fn redis(url: &str, namespace: &str, limits: RateLimits) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(250)))
            .set_number_of_retries(1);
        let redis = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Throttle {
            inner: Some(Arc::new(Inner {
                redis,
                prefix: format!("{namespace}:ratelimit"),
                limits,
            })),
        })
    }

    /// Waits until a call to `provider` fits the limit.
    pub async fn acquire(&self, provider: Provider) {
        loop {
            match self.try_acquire_at(provider, unix_now()).await {
                Slot::Granted => return,
                Slot::Wait(delay) => {
                    metrics::counter!(THROTTLED_CALLS, "provider" => provider.to_string())
                        .increment(1);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Counts one call in the second containing `now` (as a duration since
    /// the Unix epoch).
    pub async fn try_acquire_at(&self, provider: Provider, now: Duration) -> Slot {
        let Some(inner) = &self.inner else {
            return Slot::Granted;
        };
        let limit = inner.limits.of(provider);
        if limit == 0 {
            return Slot::Granted;
        }
        let second = now.as_secs();
        let key = format!("{}:{provider}:{second}", inner.prefix);
        let mut redis = inner.redis.clone();
        let counted: redis::RedisResult<(u64, bool)> = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .expire(&key, 2)
            .query_async(&mut redis)
            .await;
        match counted {
            Ok((count, _)) if count <= u64::from(limit) => Slot::Granted,
            Ok(_) => Slot::Wait(
                Duration::from_secs(second + 1).saturating_sub(now) + Duration::from_millis(5),
            ),
            Err(error) => {
                metrics::counter!(RATE_LIMITER_UNAVAILABLE).increment(1);
                tracing::warn!(%error, "rate limiter unavailable; calling without it");
                Slot::Granted
            }
        }
    }
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
