//! The buckets every worker shares, in Redis: one key per namespace and
//! provider (`<namespace>:ratelimit:<provider>`, the provider's
//! [`crate::Limited::label`]) holding the bucket's
//! theoretical arrival time in microseconds, updated by one Lua script so
//! that concurrent callers in any process never take the same token.
//!
//! The script runs the arithmetic of [`crate::bucket`] on Redis's own clock
//! (`TIME`), so the workers' clocks never need to agree, and answers with
//! the caller's wait in microseconds. A key expires a second after its
//! bucket is full again: an idle provider leaves nothing behind.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use crate::bucket::RateLimit;

/// KEYS[1]: the bucket. ARGV: interval µs, tolerance µs, and a pause in µs
/// to block for (0: take a token instead). Returns the wait in µs.
const BUCKET_SCRIPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local pause = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = 0
if pause > 0 then
  local blocked = now + pause + tolerance
  if blocked > tat then tat = blocked end
else
  wait = tat - tolerance - now
  if wait < 0 then wait = 0 end
  tat = tat + interval
end
local ttl_ms = math.ceil((tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', ttl_ms)
return wait
";

/// The shared buckets of one namespace.
#[derive(Clone)]
pub(crate) struct SharedBuckets {
    redis: ConnectionManager,
    prefix: String,
    script: Script,
}

impl SharedBuckets {
    pub(crate) fn new(redis: ConnectionManager, namespace: &str) -> Self {
        SharedBuckets {
            redis,
            prefix: format!("{namespace}:ratelimit"),
            script: Script::new(BUCKET_SCRIPT),
        }
    }

    /// Takes a token from `provider`'s bucket: how long to wait for it.
    pub(crate) async fn reserve(
        &self,
        provider: &str,
        limit: &RateLimit,
    ) -> redis::RedisResult<Duration> {
        let wait_us = self.run(provider, limit, Duration::ZERO).await?;
        Ok(Duration::from_micros(wait_us))
    }

    /// Holds every worker's calls to `provider` for `pause`.
    pub(crate) async fn block(
        &self,
        provider: &str,
        limit: &RateLimit,
        pause: Duration,
    ) -> redis::RedisResult<()> {
        let pause = pause.max(Duration::from_micros(1));
        self.run(provider, limit, pause).await.map(drop)
    }

    async fn run(
        &self,
        provider: &str,
        limit: &RateLimit,
        pause: Duration,
    ) -> redis::RedisResult<u64> {
        let mut redis = self.redis.clone();
        self.script
            .key(format!("{}:{provider}", self.prefix))
            .arg(limit.interval_us())
            .arg(limit.tolerance_us())
            .arg(u64::try_from(pause.as_micros()).unwrap_or(u64::MAX))
            .invoke_async(&mut redis)
            .await
    }
}
