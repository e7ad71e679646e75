//! Tests of the pure saga core: every transition, every compensation,
//! illegal and stale events, recovery (unknown outcomes, failed
//! compensations, operators) and ranking.

mod compensation;
mod fixtures;
mod forward;
mod illegal;
mod metrics;
mod ranking;
mod recovery;
