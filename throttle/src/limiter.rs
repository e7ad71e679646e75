//! The provider rate limit: one token bucket per provider (per kind of
//! call, [`Limited`]), shared by every worker of every process through
//! Redis, with a conservative local fallback while Redis is unreachable.
//! The arithmetic is [`crate::bucket`]'s, the buckets in Redis are
//! `crate::shared`'s, and when to ask Redis again is [`crate::reconnect`]'s.
//!
//! Before each provider call a worker takes a token ([`Throttle::acquire`]):
//! the bucket answers how long the caller must wait for its slot, and the
//! caller sleeps exactly that long. A provider's 429 blocks the shared
//! bucket until the reset the provider announced ([`Throttle::block`]), so
//! every worker holds back, not only the one that was refused.
//!
//! Redis protects the providers, not correctness. While it is unreachable
//! each process limits itself with its own bucket at
//! [`Limits::fallback_share`] of every provider's rate and burst (a
//! quarter by default: four worker processes stay within the shared
//! limit), and asks Redis again after a pause that doubles from 200 ms to
//! 5 s; the first answer puts it back on the shared bucket.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bucket::{Bucket, RateLimit};
use crate::metric_definitions::{RATE_LIMITER_UNAVAILABLE, THROTTLED_CALLS};
use crate::reconnect::Reconnect;
use crate::shared::SharedBuckets;

/// A kind of call with a bucket of its own: a provider.
pub trait Limited: Copy + Eq + Hash + fmt::Display + Send + Sync + 'static {
    /// Its name: the `provider` label of the metrics, and the last part of
    /// its bucket's key in Redis.
    fn label(&self) -> &'static str;
}

/// The limit of each kind of call (`None`: unlimited) and the share of it
/// a process allows itself while Redis is unreachable.
pub trait Limits: Copy + fmt::Debug + Send + Sync + 'static {
    type Key: Limited;

    fn of(&self, key: Self::Key) -> Option<RateLimit>;

    fn fallback_share(&self) -> f64;
}

/// Which bucket a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The bucket in Redis every worker shares.
    Shared,
    /// This process's fallback bucket (Redis unreachable).
    Local,
}

/// A token taken: the call may go after `wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub wait: Duration,
    pub source: Source,
}

/// The limiter of the calls `L` limits; cheap to clone (clones share the
/// buckets).
pub struct Throttle<L: Limits> {
    inner: Option<Arc<Inner<L>>>,
}

impl<L: Limits> Clone for Throttle<L> {
    fn clone(&self) -> Self {
        Throttle {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<L: Limits> {
    shared: SharedBuckets,
    limits: L,
    local: Mutex<Local<L::Key>>,
}

/// This process's fallback buckets and its view of Redis.
struct Local<K> {
    epoch: Instant,
    providers: HashMap<K, ProviderState>,
    reconnect: Reconnect,
}

/// One provider in this process.
#[derive(Default)]
struct ProviderState {
    /// The fallback bucket.
    bucket: Bucket,
    /// The last 429 this process saw: when it came, and until when it
    /// holds calls back.
    block: Option<(Instant, Instant)>,
}

impl<K: Limited> Local<K> {
    fn provider(&mut self, provider: K) -> &mut ProviderState {
        self.providers.entry(provider).or_default()
    }

    fn bucket(&mut self, provider: K) -> &mut Bucket {
        &mut self.provider(provider).bucket
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

impl<L: Limits> fmt::Debug for Throttle<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limits = self.inner.as_ref().map(|i| i.limits);
        f.debug_struct("Throttle").field("limits", &limits).finish()
    }
}

impl<L: Limits> Throttle<L> {
    /// No limit at all.
    pub fn disabled() -> Self {
        Throttle { inner: None }
    }

    /// Buckets in Redis at `url`, keyed under `namespace`. Connects lazily,
    /// so a worker starts (on its local limit) even while Redis is down.
    pub fn redis(url: &str, namespace: &str, limits: L) -> redis::RedisResult<Self> {
        let redis = crate::redis_client::connect_lazily(url)?;
        Ok(Throttle {
            inner: Some(Arc::new(Inner {
                shared: SharedBuckets::new(redis, namespace),
                limits,
                local: Mutex::new(Local {
                    epoch: Instant::now(),
                    providers: HashMap::new(),
                    reconnect: Reconnect::default(),
                }),
            })),
        })
    }

    /// Waits for a token for a call to `provider`. A caller whose slot was
    /// reserved before this process saw a 429 that still holds takes a new
    /// slot (after the block) instead of calling into the refusal.
    pub async fn acquire(&self, provider: L::Key) {
        loop {
            let reserved_at = Instant::now();
            let Some(reservation) = self.reserve(provider).await else {
                return;
            };
            if reservation.wait.is_zero() {
                return;
            }
            metrics::counter!(THROTTLED_CALLS, "provider" => provider.label()).increment(1);
            tokio::time::sleep(reservation.wait).await;
            if !self.blocked_since(provider, reserved_at) {
                return;
            }
        }
    }

    /// Whether a 429 seen after `since` still holds `provider`'s calls.
    fn blocked_since(&self, provider: L::Key, since: Instant) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        let now = Instant::now();
        inner
            .lock()
            .provider(provider)
            .block
            .is_some_and(|(seen, until)| seen > since && until > now)
    }

    /// Takes a token for a call to `provider` without waiting for it;
    /// `None` when `provider` is not limited.
    pub async fn reserve(&self, provider: L::Key) -> Option<Reservation> {
        let inner = self.inner.as_ref()?;
        let limit = inner.limits.of(provider)?;
        if inner.should_try_redis() {
            let answer = inner.shared.reserve(provider.label(), &limit).await;
            if let Some(wait) = inner.settle(answer) {
                return Some(Reservation {
                    wait,
                    source: Source::Shared,
                });
            }
        }
        metrics::counter!(RATE_LIMITER_UNAVAILABLE).increment(1);
        let fallback = limit.scaled(inner.limits.fallback_share());
        let mut local = inner.lock();
        let now = local.now_us();
        let wait = local.bucket(provider).reserve(&fallback, now);
        Some(Reservation {
            wait,
            source: Source::Local,
        })
    }

    /// `provider` refused calls (429) for `pause`: holds this process's
    /// calls, and every worker's through the shared bucket. False when
    /// `provider` has no bucket to hold them (the caller must pause itself).
    pub async fn block(&self, provider: L::Key, pause: Duration) -> bool {
        let Some(inner) = &self.inner else {
            return false;
        };
        let Some(limit) = inner.limits.of(provider) else {
            return false;
        };
        {
            let fallback = limit.scaled(inner.limits.fallback_share());
            let mut local = inner.lock();
            let now = local.now_us();
            local.bucket(provider).block(&fallback, now, pause);
            let seen = Instant::now();
            local.provider(provider).block = Some((seen, seen + pause));
        }
        if inner.should_try_redis() {
            let answer = inner.shared.block(provider.label(), &limit, pause).await;
            inner.settle(answer);
        }
        tracing::info!(
            %provider,
            pause_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            "provider rate limited us; holding calls back"
        );
        true
    }
}

impl<L: Limits> Inner<L> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Local<L::Key>> {
        self.local
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn should_try_redis(&self) -> bool {
        self.lock().reconnect.should_try(Instant::now())
    }

    /// Records how Redis answered; the value when it did.
    fn settle<T>(&self, answer: redis::RedisResult<T>) -> Option<T> {
        let mut local = self.lock();
        match answer {
            Ok(value) => {
                if local.reconnect.is_down() {
                    tracing::info!("rate limiter reachable again; back on the shared limit");
                }
                local.reconnect.succeeded();
                Some(value)
            }
            Err(error) => {
                if !local.reconnect.is_down() {
                    tracing::warn!(%error, share = self.limits.fallback_share(), "rate limiter unreachable; limiting this process locally");
                }
                local.reconnect.failed(Instant::now());
                None
            }
        }
    }
}
