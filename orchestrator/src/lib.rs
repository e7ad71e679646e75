//! # autobook-orchestrator
//!
//! Drives every booking as a persisted saga state machine:
//!
//! - [`admin`]: typed reads and changes of the orchestrator's tables for
//!   operators' tools (ops commands, privacy export, key rotation);
//! - [`saga`]: the pure core: `decide(saga, message, now) -> (saga', effects)`;
//! - [`store`]: the executor: one PostgreSQL transaction per handled message
//!   (saga row with optimistic concurrency, audit row, inbox, outbox, timers);
//! - [`relay`]: publishes the outbox with publisher confirms, woken by
//!   LISTEN/NOTIFY with a polling fallback;
//! - [`timers`]: fires due durable timers into the outbox, by the [`clock`];
//! - [`resumer`]: resumes paused sagas once the flags allow them;
//! - [`consumer`]: the event consumer: decode, execute, ack after commit;
//! - [`dead_letters`]: archives every dead-letter queue into PostgreSQL;
//! - [`privacy`]: erasure of a traveller's data, retention limits;
//! - [`submissions`]: the trips the gateway accepted, before their sagas
//!   start;
//! - [`money`]: what each saga recorded about money, for reconciliation;
//! - [`saga_metrics`]: what each transition means for the metrics;
//! - [`sampler`]: refreshes the gauges (sagas by status, outbox, queues).
//!
//! The orchestrator never calls a provider itself.

pub mod admin;
pub mod clock;
pub mod consumer;
pub mod db;
pub mod dead_letters;
pub mod metric_definitions;
pub mod money;
pub mod privacy;
pub mod pruning;
pub mod relay;
pub mod resumer;
pub mod runtime;
pub mod saga;
pub mod saga_metrics;
pub mod sampler;
pub mod store;
pub mod submissions;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timers;
pub mod watch;
