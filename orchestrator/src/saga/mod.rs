//! The booking saga as pure code. Nothing in here performs I/O.
//!
//! - [`decide`](mod@decide): the decision function, headed by the whole
//!   transition table; one `match` over every (phase, message) pair, after
//!   the checks in `guards` (a second trip request, a timer no longer due,
//!   a reply to another step). `patterns` names the groups of phases and
//!   messages its rows list. [`start()`] begins a saga.
//! - [`decision`]: what a decision returns ([`Decision`], [`Effect`]) or
//!   why it refuses ([`DecideError`]); a leaf every transition imports.
//! - [`steps`]: each effectful step declared with its undo, the commands,
//!   and every compensation (void, cancel, refund), each built once.
//! - The transitions by theme: `forward` (search to capture), `watching`,
//!   `pausing`, `commitments` (offer and hold deadlines), `compensation`,
//!   `cancellation`, `lost_hold`, `recovery` (unknown outcomes, retries,
//!   operators) and `finish` (telling the traveller, ending, stuck).
//! - [`state`], [`policy`], [`ranking`], [`offer_match`], [`deadlines`]
//!   (step deadlines), [`causation`] (replies answer our commands).
//!
//! Imports point one way: transitions import `decision`, `steps` and
//! `state`, never `decide`.

mod cancellation;
pub mod causation;
mod commitments;
mod compensation;
pub mod deadlines;
pub mod decide;
pub mod decision;
mod finish;
mod forward;
mod guards;
mod lost_hold;
pub mod offer_match;
mod patterns;
mod pausing;
pub mod policy;
pub mod ranking;
mod recovery;
mod start;
pub mod state;
pub mod steps;
pub mod watching;

#[cfg(test)]
pub(crate) mod tests;

pub use causation::{Cause, CauseError};
pub use deadlines::{DeadlineChange, StepDeadlines};
pub use decide::decide;
pub use decision::{DecideError, Decision, Effect};
pub use policy::{Policy, RankingWeights, WatchPolicy};
pub use start::{Admission, start};
pub use state::{Phase, Saga};
