//! The one interface the saga and the workers see: [`FlagSource`]. Every
//! provider answers from memory that a background task keeps fresh, so an
//! evaluation never waits on the network and can be made before every step
//! that moves money.

use std::time::Duration;

use tokio::sync::watch;

use crate::decision::{FlagDecision, fail_closed};
use crate::error::FlagError;

/// Where the kill switch and the `auto_booking_pipeline_enabled` flag come
/// from.
pub trait FlagSource: Send + Sync {
    /// The decision for `user_id` from what the provider last read, or why
    /// it cannot be made (never read, stale, not initialised, ...). Does not
    /// block.
    fn evaluate(&self, user_id: &str) -> Result<FlagDecision, FlagError>;

    /// The provider's name (`postgres`, `launchdarkly`, `fixed`) for logs.
    fn provider(&self) -> &'static str;

    /// The fail-closed decision: any error denies with
    /// [`crate::DenyReason::Unavailable`].
    fn decide(&self, user_id: &str) -> FlagDecision {
        fail_closed(self.evaluate(user_id))
    }

    /// Announces every refresh of the provider's copy, for a provider that
    /// keeps one up to date in the background (PostgreSQL); None otherwise.
    fn refreshes(&self) -> Option<watch::Receiver<Refreshes>> {
        None
    }
}

/// How many refreshes a provider's background task has attempted, and how
/// many read the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshes {
    pub attempted: u64,
    pub succeeded: u64,
}

/// Waits until the decision for `user_id` satisfies `wanted`, looking again
/// after every refresh of the source's copy, at most `timeout`. A source
/// that does not announce its refreshes is looked at once. Returns whether
/// the decision came.
pub async fn wait_for_decision(
    source: &dyn FlagSource,
    user_id: &str,
    timeout: Duration,
    wanted: impl Fn(FlagDecision) -> bool,
) -> bool {
    let Some(mut refreshes) = source.refreshes() else {
        return wanted(source.decide(user_id));
    };
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        refreshes.borrow_and_update();
        if wanted(source.decide(user_id)) {
            return true;
        }
        match tokio::time::timeout_at(deadline, refreshes.changed()).await {
            Ok(Ok(())) => {}
            _ => return wanted(source.decide(user_id)),
        }
    }
}

/// A provider that always gives the same answer, or the same failure. For
/// tests of code that consults flags, and for tools that run without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedFlags {
    /// Every evaluation gives this decision.
    Decision(FlagDecision),
    /// Every evaluation fails as if the flags could not be read.
    Unreadable,
}

impl FlagSource for FixedFlags {
    fn evaluate(&self, _user_id: &str) -> Result<FlagDecision, FlagError> {
        match self {
            FixedFlags::Decision(decision) => Ok(*decision),
            FixedFlags::Unreadable => Err(FlagError::NotLoaded),
        }
    }

    fn provider(&self) -> &'static str {
        "fixed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::DenyReason;

    #[tokio::test]
    async fn a_source_without_refreshes_is_looked_at_once() {
        let allowed = FixedFlags::Decision(FlagDecision::Allowed);
        let wait = std::time::Duration::from_secs(3600);
        assert!(wait_for_decision(&allowed, "usr_1", wait, |d| d.money_may_move()).await);
        assert!(!wait_for_decision(&allowed, "usr_1", wait, |d| !d.money_may_move()).await);
    }

    #[test]
    fn an_unreadable_source_fails_closed_through_the_trait() {
        let source: &dyn FlagSource = &FixedFlags::Unreadable;
        assert!(source.evaluate("usr_1").is_err());
        assert_eq!(
            source.decide("usr_1"),
            FlagDecision::Denied(DenyReason::Unavailable)
        );
        let allowed = FixedFlags::Decision(FlagDecision::Allowed);
        assert_eq!(allowed.decide("usr_1"), FlagDecision::Allowed);
    }
}
