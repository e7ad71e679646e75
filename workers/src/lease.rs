//! Leases with fencing tokens, in Redis: at most one holder of a named
//! lease at a time, for singleton work (a sweeper, a periodic job) that
//! several processes could run.
//!
//! [`Leases::acquire`] grants a free lease to a holder for a time to live
//! and hands out a *fencing token*: a number strictly greater than every
//! token granted for that name before, also across a Redis restart that
//! lost its data (a token is at least Redis's clock in microseconds). Renew
//! and release only succeed for the current holder with its token, checked
//! atomically by Lua scripts.
//!
//! A lease alone does not make work exclusive: a holder can pause (a long
//! GC, a stopped VM) past its time to live while another takes over, and
//! then wake up believing it still holds the lease. So **whatever a lease
//! protects must check the token**, and the rule is:
//!
//! - a write to PostgreSQL carries the token and a guard, for example
//!   `UPDATE jobs SET fence = $token, ... WHERE name = $1 AND fence <= $token`:
//!   once a newer holder has written, an older token matches no row;
//! - an action that cannot carry the token first asks [`Leases::is_current`]
//!   (weaker: the lease can still lapse between the check and the act).
//!
//! Redis down means no lease: [`Leases::acquire`] answers `None`, and
//! [`Leases::renew`] and [`Leases::is_current`] answer false, so callers skip
//! the singleton work that round rather than risk two runners.
//!
//! ```no_run
//! # async fn sweep(leases: &autobook_workers::lease::Leases, pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
//! use std::time::Duration;
//! let Some(lease) = leases.acquire("sweeper", "worker-a", Duration::from_secs(30)).await else {
//!     return Ok(()); // someone else sweeps, or Redis is down: skip this round
//! };
//! sqlx::query("UPDATE sweeps SET fence = $1, swept_at = now() WHERE name = 'sweeper' AND fence <= $1")
//!     .bind(lease.token_i64())
//!     .execute(pool)
//!     .await?; // no row when a newer holder has swept since
//! leases.release(&lease).await;
//! # Ok(()) }
//! ```

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

/// KEYS[1]: the lease (a hash of holder and token), KEYS[2]: the last token
/// granted. ARGV: holder, time to live in ms. Returns the token, or 0 when
/// the lease is held.
const ACQUIRE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local token = tonumber(redis.call('GET', KEYS[2]) or '0') + 1
if now > token then token = now end
local text = string.format('%.0f', token)
redis.call('SET', KEYS[2], text)
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'token', text)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
";

/// KEYS[1]: the lease. ARGV: holder, token, time to live in ms (0:
/// release). Returns 1 when the lease was the caller's.
const RENEW_OR_RELEASE: &str = r"
local held = redis.call('HMGET', KEYS[1], 'holder', 'token')
if held[1] ~= ARGV[1] or held[2] ~= ARGV[2] then return 0 end
if ARGV[3] == '0' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return 1
";

/// A granted lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    /// The fencing token: greater than any token granted for `name` before.
    pub token: u64,
}

impl Lease {
    /// The token as PostgreSQL's `bigint` (tokens stay far below its limit).
    pub fn token_i64(&self) -> i64 {
        i64::try_from(self.token).unwrap_or(i64::MAX)
    }
}

/// The leases of one namespace.
#[derive(Clone)]
pub struct Leases {
    redis: ConnectionManager,
    prefix: String,
    acquire: Script,
    renew_or_release: Script,
}

impl std::fmt::Debug for Leases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leases")
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Leases {
    /// Leases in Redis at `url`, keyed `<namespace>:lease:<name>`. Connects
    /// lazily.
    pub fn redis(url: &str, namespace: &str) -> redis::RedisResult<Self> {
        Ok(Leases {
            redis: autobook_throttle::redis_client::connect_lazily(url)?,
            prefix: format!("{namespace}:lease"),
            acquire: Script::new(ACQUIRE),
            renew_or_release: Script::new(RENEW_OR_RELEASE),
        })
    }

    /// Grants `name` to `holder` for `ttl` if nobody holds it; `None` when
    /// it is held, or when Redis cannot be asked.
    pub async fn acquire(&self, name: &str, holder: &str, ttl: Duration) -> Option<Lease> {
        let mut redis = self.redis.clone();
        let answer: redis::RedisResult<u64> = self
            .acquire
            .key(self.key(name))
            .key(format!("{}:fence", self.key(name)))
            .arg(holder)
            .arg(millis(ttl))
            .invoke_async(&mut redis)
            .await;
        match answer {
            Ok(0) => None,
            Ok(token) => Some(Lease {
                name: name.to_owned(),
                holder: holder.to_owned(),
                token,
            }),
            Err(error) => {
                tracing::warn!(lease = name, %error, "cannot reach Redis; no lease granted");
                None
            }
        }
    }

    /// Extends `lease` to `ttl` from now; false when it is no longer the
    /// caller's (or Redis cannot be asked): stop the work it protects.
    pub async fn renew(&self, lease: &Lease, ttl: Duration) -> bool {
        self.renew_or_release(lease, millis(ttl).max(1)).await
    }

    /// Gives `lease` up; false when it was no longer the caller's.
    pub async fn release(&self, lease: &Lease) -> bool {
        self.renew_or_release(lease, 0).await
    }

    /// Whether `lease` is still the current grant of its name.
    pub async fn is_current(&self, lease: &Lease) -> bool {
        let mut redis = self.redis.clone();
        let held: redis::RedisResult<(Option<String>, Option<String>)> = redis::cmd("HMGET")
            .arg(self.key(&lease.name))
            .arg("holder")
            .arg("token")
            .query_async(&mut redis)
            .await;
        match held {
            Ok((Some(holder), Some(token))) => {
                holder == lease.holder && token == lease.token.to_string()
            }
            Ok(_) => false,
            Err(error) => {
                tracing::warn!(lease = %lease.name, %error, "cannot reach Redis; lease not confirmed");
                false
            }
        }
    }

    async fn renew_or_release(&self, lease: &Lease, ttl_ms: u64) -> bool {
        let mut redis = self.redis.clone();
        let answer: redis::RedisResult<u8> = self
            .renew_or_release
            .key(self.key(&lease.name))
            .arg(&lease.holder)
            .arg(lease.token.to_string())
            .arg(ttl_ms)
            .invoke_async(&mut redis)
            .await;
        match answer {
            Ok(mine) => mine == 1,
            Err(error) => {
                tracing::warn!(lease = %lease.name, %error, "cannot reach Redis; lease treated as lost");
                false
            }
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
