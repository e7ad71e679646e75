//! # autobook-workers
//!
//! The workers that talk to the outside world, one per command queue:
//!
//! - [`search`]: flight offers (Duffel offer requests);
//! - [`payment`]: card holds, captures, voids and refunds (Stripe);
//! - [`order`]: airline orders and their cancellation (Duffel);
//! - [`notify`]: emails to the traveller (Resend-style API), rendered by [`render`].
//!
//! [`worker`] holds the shared core: the provider-call ledger that turns
//! duplicate commands into replays, retries with backoff behind the shared
//! rate limit (`autobook_throttle`), the flag gate that defers a
//! money-moving call the flags deny, and the handler that acks a command
//! only after its reply is stored and confirmed. [`providers`] holds the
//! HTTP clients and each provider's rate limit; [`runtime`] runs the roles.
//! [`lease`] grants singleton work to one holder at a time with fencing
//! tokens, connecting to Redis as the rate limiter does
//! (`autobook_throttle::redis_client`). [`admin`] holds the typed reads of
//! the provider-call ledger that operators' tools and the harness use.

pub mod admin;
pub mod lease;
pub mod metric_definitions;
pub mod notify;
pub mod order;
pub mod payment;
pub mod providers;
pub mod pruning;
pub mod render;
pub mod runtime;
pub mod search;
#[cfg(feature = "testing")]
pub mod testing;
pub mod worker;

pub use runtime::{WorkerConfig, WorkerKind, run};
