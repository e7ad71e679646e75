//! Per-traveller request limits: a token bucket per user id, refused (429
//! with `Retry-After`) rather than waited for.
//!
//! The bucket is the rate limiter's GCRA arithmetic
//! ([`autobook_throttle::bucket`]), as the workers' is. With Redis, every
//! gateway instance shares one bucket per user (`<namespace>:gateway:rl:<user>`,
//! taken by a Lua script on Redis's clock, expiring once full again); while
//! Redis is unreachable each instance keeps its own buckets with the same
//! limit and asks Redis again after the rate limiter's backoff
//! ([`Reconnect`]).
//! Redis protects capacity, never correctness: its failure lets requests
//! through at the local limit, it does not refuse them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::Script;
use redis::aio::ConnectionManager;

use autobook_contracts::codes::UserId;
use autobook_throttle::{Bucket, RateLimit, Reconnect};

/// KEYS[1]: the user's bucket. ARGV: interval µs, tolerance µs. Returns 0
/// when a token was taken, else the wait in µs until one is (nothing taken).
const TAKE_SCRIPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_at = tat - tolerance
if allowed_at > now then return allowed_at - now end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return 0
";

/// Local buckets kept before full ones are swept away.
const SWEEP_AT: usize = 10_000;

/// The limiter of one gateway instance.
pub struct UserRateLimiter {
    limit: Option<RateLimit>,
    shared: Option<Shared>,
    local: Mutex<Local>,
}

struct Shared {
    redis: ConnectionManager,
    prefix: String,
    script: Script,
}

struct Local {
    epoch: Instant,
    buckets: HashMap<String, Bucket>,
    reconnect: Reconnect,
}

impl UserRateLimiter {
    /// `limit` per user (`None`: no limit), shared through Redis at
    /// `redis_url` when given (connected lazily).
    pub fn new(
        limit: Option<RateLimit>,
        redis_url: Option<&str>,
        namespace: &str,
    ) -> redis::RedisResult<Self> {
        let shared = match redis_url {
            Some(url) => Some(Shared {
                redis: autobook_throttle::redis_client::connect_lazily(url)?,
                prefix: format!("{namespace}:gateway:rl"),
                script: Script::new(TAKE_SCRIPT),
            }),
            None => None,
        };
        Ok(UserRateLimiter {
            limit,
            shared,
            local: Mutex::new(Local {
                epoch: Instant::now(),
                buckets: HashMap::new(),
                reconnect: Reconnect::default(),
            }),
        })
    }

    /// Takes a token for a request of `user`; `Err` says when to retry.
    pub async fn check(&self, user: &UserId) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        if let Some(shared) = &self.shared
            && self.lock().reconnect.should_try(Instant::now())
        {
            match shared.take(user, &limit).await {
                Ok(wait_us) => {
                    self.lock().reconnect.succeeded();
                    return match wait_us {
                        0 => Ok(()),
                        wait => Err(Duration::from_micros(wait)),
                    };
                }
                Err(error) => {
                    let mut local = self.lock();
                    if !local.reconnect.is_down() {
                        tracing::warn!(%error, "gateway rate limiter unreachable; limiting this instance alone");
                    }
                    local.reconnect.failed(Instant::now());
                }
            }
        }
        self.lock().take(user, &limit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Local> {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Shared {
    async fn take(&self, user: &UserId, limit: &RateLimit) -> redis::RedisResult<u64> {
        let mut redis = self.redis.clone();
        self.script
            .key(format!("{}:{user}", self.prefix))
            .arg(limit.interval_us())
            .arg(limit.tolerance_us())
            .invoke_async(&mut redis)
            .await
    }
}

impl Local {
    fn take(&mut self, user: &UserId, limit: &RateLimit) -> Result<(), Duration> {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        if self.buckets.len() >= SWEEP_AT {
            self.buckets.retain(|_, bucket| !bucket.is_full(now));
        }
        self.buckets
            .entry(user.as_str().to_owned())
            .or_default()
            .try_take(limit, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn each_user_has_a_bucket_of_their_own() {
        let limiter = UserRateLimiter::new(RateLimit::new(0.1, 2), None, "t").unwrap();
        let (a, b) = (user("usr_a"), user("usr_b"));
        assert_eq!(limiter.check(&a).await, Ok(()));
        assert_eq!(limiter.check(&a).await, Ok(()));
        let wait = limiter.check(&a).await.unwrap_err();
        assert!(
            wait > Duration::from_secs(9) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        assert_eq!(limiter.check(&b).await, Ok(()));
    }

    #[tokio::test]
    async fn no_limit_lets_everything_through() {
        let limiter = UserRateLimiter::new(None, None, "t").unwrap();
        for _ in 0..100 {
            assert_eq!(limiter.check(&user("usr_a")).await, Ok(()));
        }
    }

    #[tokio::test]
    async fn an_unreachable_redis_falls_back_to_the_local_bucket() {
        let limiter =
            UserRateLimiter::new(RateLimit::new(0.1, 1), Some("redis://127.0.0.1:1"), "t").unwrap();
        let a = user("usr_a");
        assert_eq!(limiter.check(&a).await, Ok(()));
        assert!(limiter.check(&a).await.is_err());
    }
}
