//! Tests of the pure saga core: every transition, every compensation,
//! illegal and stale events, and ranking.

mod compensation;
mod fixtures;
mod forward;
mod illegal;
mod ranking;
