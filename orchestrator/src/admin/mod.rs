//! What operators' tools read and change in the orchestrator's tables,
//! behind typed functions: the `autobook ops` commands, the gateway, the
//! privacy export, key rotation and the demo, bench and chaos harness call these
//! instead of writing SQL against tables they do not own.
//!
//! - [`sagas`]: sagas by status, a saga's audit trail, its pending outbox
//!   rows and timers, operators' notes on audit rows;
//! - [`requests`]: an operator's retry, abort or cancel of a saga, applied
//!   through the executor, with who asked and why;
//! - [`trips`]: what the gateway shows travellers of their trips and
//!   bookings;
//! - [`erasures`]: erasure requests recorded and listed;
//! - [`export`]: a traveller's trips and erasures for their export;
//! - [`figures`]: counts and timings for the demo, bench and chaos
//!   harness, and every saga with its decoded state;
//! - [`search`]: sagas by id, status, traveller and time, page by page;
//! - [`overview`]: the console's funnel, throughput, latency and lags;
//! - [`keys`]: key rotation of the orchestrator's sealed columns;
//! - [`dead_letters`]: the dead-letter archive (list, show, select, purge);
//! - [`replay`]: replays of dead letters, each judged against its saga
//!   first, published back and marked replayed.

pub mod dead_letters;
pub mod erasures;
pub mod export;
pub mod figures;
pub mod keys;
pub mod overview;
pub mod replay;
pub mod requests;
pub mod sagas;
pub mod search;
pub mod trips;
