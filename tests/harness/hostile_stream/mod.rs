//! A seeded generator of hostile messages for the work queues, and the
//! means to sign and publish them as the stack's own identities would.
//!
//! The generator is seeded (xorshift, no `rand` in this crate) and checks
//! every message against the codec before it is sent: a message goes out
//! only when it is certain to be refused, with the dead-letter code it must
//! get computed here. So the count of dead letters is exact, and no valid
//! command ever reaches a worker (it would really call the sandbox). Each
//! message is signed by an identity allowed to send its type (ops when it
//! does not decode), so that its content, not its sender, is judged.
//!
//! - [`rng`]: the seeded random source;
//! - [`payloads`]: hostile text, message payloads and envelopes;
//! - [`bodies`]: the body of each kind of bad message;
//! - [`generator`]: the kinds, the stream and the code each must get;
//! - [`signing`]: who signs each message, and publishing them.

pub mod bodies;
pub mod generator;
pub mod payloads;
pub mod rng;
pub mod signing;

pub use generator::{Bad, Kind, PER_QUEUE, SEED, generate, text};
pub use payloads::{COMMAND_TYPES, DESTINATIONS, EVENT_TYPES, payload, to_vec, wire};
pub use rng::Rng;
pub use signing::{Signers, archived_form, publish_batch};
