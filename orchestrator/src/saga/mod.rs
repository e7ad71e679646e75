//! The booking saga as pure code: state, policy, ranking, the step table
//! and the decision function. Nothing in here performs I/O.

mod compensation;
pub mod decide;
mod finish;
mod forward;
pub mod policy;
pub mod ranking;
mod recovery;
pub mod state;
pub mod steps;

#[cfg(test)]
mod tests;

pub use decide::{DecideError, Decision, Effect, decide, start};
pub use policy::{Policy, RankingWeights};
pub use state::{Phase, Saga};
