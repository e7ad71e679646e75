//! Tests of the pure saga core: every transition, every compensation,
//! illegal and stale events, recovery (unknown outcomes, failed
//! compensations, operators), ranking and selection (offers that do not
//! answer the trip, offers that need identity documents), watching, pausing for the flags,
//! outside deadlines, holds lost outside the system and cancellation.

mod cancellation;
mod causation;
mod commitments;
mod compensation;
mod deadlines;
pub(crate) mod fixtures;
mod forward;
mod illegal;
mod lost_hold;
mod metrics;
mod offer_match;
mod pausing;
mod projections;
mod ranking;
mod recovery;
mod selection;
mod watching;
