//! Feature flags and the kill switch. Before a trip is taken on and before
//! every step that moves money or creates an order, the saga asks one
//! question: may money move for this user? The answer is
//! [`FlagDecision::Allowed`] only when the global kill switch is off and
//! `auto_booking_pipeline_enabled` is on for the user (their override, else
//! the global default). Flags that cannot be read deny: the rule fails
//! closed.
//!
//! - [`decision`]: the pure decision and [`fail_closed`];
//! - [`error`]: [`FlagError`] and its retryable classification;
//! - [`source`]: the [`FlagSource`] trait every provider implements;
//! - [`postgres`]: the default provider (tables, cached reader, audited
//!   changes);
//! - [`launchdarkly`]: the LaunchDarkly provider;
//! - [`provider`]: choosing and starting one from settings.
//!
//! Consulting the flags before a step:
//!
//! ```no_run
//! # async fn step(pool: sqlx::PgPool) -> Result<(), autobook_flags::FlagError> {
//! use autobook_flags::{FlagConfig, FlagDecision};
//!
//! let flags = autobook_flags::open(&FlagConfig::default(), &pool).await?;
//! match flags.decide("usr_42") {
//!     FlagDecision::Allowed => { /* hold the fare, create the order, capture */ }
//!     FlagDecision::Denied(reason) => { /* move no money; `reason.as_str()` is a bounded label */ }
//! }
//! # Ok(())
//! # }
//! ```

pub mod decision;
pub mod error;
pub mod launchdarkly;
pub mod postgres;
pub mod provider;
pub mod source;
#[cfg(feature = "testing")]
pub mod testing;

pub use decision::{DenyReason, FlagDecision, decide, fail_closed};
pub use error::FlagError;
pub use provider::{FlagConfig, ProviderKind, open};
pub use source::{FixedFlags, FlagSource, wait_for_decision};
