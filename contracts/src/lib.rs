//! # autobook-contracts
//!
//! Everything the roles of autobook agree on, with no I/O:
//!
//! - [`envelope`]: the versioned envelope and its strict JSON codec;
//!   [`wire`]: its JSON shape;
//! - [`refusal`]: why a value was refused (field path, what was expected),
//!   never quoting it;
//! - [`message`]: the registry of every command and event, and the queue
//!   that consumes each;
//! - [`commands`], [`events`], [`notification`]: the payloads;
//! - [`trip`], [`personal`], [`codes`], [`money`], [`offer`]: domain types
//!   that can only be built by parsing;
//! - [`topology`]: exchange, queue and header names;
//! - [`senders`]: the broker identity of each role and who may send
//!   each message type; [`permissions`]: their RabbitMQ permissions;
//! - [`idempotency`]: deterministic keys for provider calls;
//! - [`catalogue`]: real airports, cities and airlines;
//! - [`schema`]: JSON Schemas generated from these types;
//! - [`trace`]: W3C trace context;
//! - [`stripe_webhook`]: the events Stripe posts to us and their signatures;
//! - `fixtures` (tests, or the `fixtures` feature): sample trip requests.

pub mod catalogue;
pub mod codes;
pub mod commands;
pub mod envelope;
pub mod events;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod idempotency;
pub mod message;
pub mod money;
pub mod notification;
pub mod offer;
pub mod permissions;
pub mod personal;
pub mod refusal;
pub mod schema;
pub mod senders;
pub mod stripe_webhook;
pub mod topology;
pub mod trace;
pub mod trip;
pub mod wire;

pub use envelope::{DecodeError, Envelope};
pub use idempotency::{IdempotencyKey, Step};
pub use message::{Message, MessageKind, MessageType, QueueRole};
pub use money::{Currency, Money};
pub use topology::Topology;
