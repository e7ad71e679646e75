//! The one interface the saga and the workers see: [`FlagSource`]. Every
//! provider answers from memory that a background task keeps fresh, so an
//! evaluation never waits on the network and can be made before every step
//! that moves money.

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
