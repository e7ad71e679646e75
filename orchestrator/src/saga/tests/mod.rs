//! Tests of the pure saga core: every transition, every compensation,
//! illegal and stale events, recovery (unknown outcomes, failed
//! compensations, operators), ranking, watching, pausing for the flags,
//! outside deadlines, holds lost outside the system and cancellation.

mod cancellation;
mod commitments;
mod compensation;
pub(crate) mod fixtures;
mod forward;
mod illegal;
mod lost_hold;
mod metrics;
mod pausing;
mod projections;
mod ranking;
mod recovery;
mod watching;
