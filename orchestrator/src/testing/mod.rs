//! Test support, compiled only with the `testing` feature: the typed reads
//! and the deliberate tamperings of the orchestrator's tables that the
//! integration suites need to witness what is stored (a row is there, a
//! value is sealed at rest, a sealed value copied into another row does
//! not open, a row from an older build is handled). The roles never use
//! it; the test crates call it instead of naming these tables in SQL.

pub mod announce;
pub mod commands;
pub mod dead_letters;
pub mod inbox;
pub mod outbox;
pub mod passengers;
pub mod records;
pub mod row_security;
pub mod sagas;
pub mod submissions;
pub mod timers;
