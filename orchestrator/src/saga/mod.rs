//! The booking saga as pure code: state, policy, ranking, the step table
//! and the decision function. Nothing in here performs I/O.

mod cancellation;
pub mod causation;
mod commitments;
mod compensation;
pub mod deadlines;
pub mod decide;
mod finish;
mod forward;
mod lost_hold;
pub mod offer_match;
mod pausing;
pub mod policy;
pub mod ranking;
mod recovery;
pub mod state;
pub mod steps;
pub mod watching;

#[cfg(test)]
pub(crate) mod tests;

pub use causation::{Cause, CauseError};
pub use deadlines::{DeadlineChange, StepDeadlines};
pub use decide::{Admission, DecideError, Decision, Effect, decide, start};
pub use policy::{Policy, RankingWeights, WatchPolicy};
pub use state::{Phase, Saga};
