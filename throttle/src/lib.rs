//! # autobook-throttle
//!
//! The rate limiter, shared by the workers (a bucket per provider they
//! call) and the gateway (a bucket per traveller):
//!
//! - [`bucket`]: the token bucket's arithmetic (GCRA), pure;
//! - [`reconnect`]: when to ask Redis again after a failure, pure;
//! - [`limiter`]: [`Throttle`], buckets shared by every process through
//!   Redis (`shared`: taken by a Lua script) with a conservative local
//!   fallback while Redis is unreachable;
//! - [`redis_client`]: how the limiters (and the workers' leases) connect
//!   to Redis: lazily, with short timeouts;
//! - [`metric_definitions`]: the limiter's metrics.
//!
//! Redis protects capacity, never correctness: when it fails, calls go on
//! at a local limit.

pub mod bucket;
pub mod limiter;
pub mod metric_definitions;
pub mod reconnect;
pub mod redis_client;
mod shared;

pub use bucket::{Bucket, RateLimit};
pub use limiter::{Limited, Limits, Reservation, Source, Throttle};
pub use reconnect::Reconnect;
