//! # autobook-reconcile
//!
//! The reconciliation job: what Stripe and Duffel say through their real
//! APIs (only the base URL differs with the sandbox), compared with what
//! the sagas recorded. It releases, alone, the one thing that is safe to
//! release (an old hold autobook made that no saga counts on); everything
//! else it finds waits for a person.
//!
//! - [`finding`]: the mismatch classes, one finding, the action taken;
//! - [`observed`]: the providers' objects and our records as compared;
//! - [`compare`]: the comparison (pure, unit-tested class by class);
//! - [`gather`]: reading the providers (bounded listings, look-ups by id),
//!   through [`providers`] (retries, the shared rate limit);
//! - [`release`]: the release of an orphaned hold, checked again and audited;
//! - [`store`] and [`history`]: the tables this crate owns, written and read;
//! - [`job`]: one run, start to end; [`schedule`]: every interval, under a lease;
//! - [`report`]: what a run reports; [`metric_definitions`]: its metrics;
//! - [`error`]: why a run failed.
//!
//! The sagas' records come from the orchestrator
//! (`autobook_orchestrator::money`); the intents named by webhook events
//! from whoever records them ([`gather::EventSource`]).

pub mod compare;
pub mod error;
pub mod finding;
pub mod gather;
pub mod history;
pub mod job;
pub mod metric_definitions;
pub mod observed;
pub mod providers;
pub mod release;
pub mod report;
pub mod schedule;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::JobError;
pub use finding::{Action, Finding, FindingClass, Handled};
pub use gather::{EventSource, Limits, Listing};
pub use job::{Guard, Job, Settings};
pub use providers::Providers;
pub use report::{Outcome, Report, Verdict};
