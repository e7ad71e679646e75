//! The reader's copy of the flags and the freshness rule, pure: a copy read
//! at some instant answers only while it is younger than the staleness
//! bound.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::decision::{FlagDecision, decide, pipeline_for_user};
use crate::error::FlagError;

/// Every flag value at one version of the flag tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// `feature_flag_version.version` when this was read.
    pub version: i64,
    pub kill_switch: bool,
    pub pipeline_default: bool,
    /// Per-user values of `auto_booking_pipeline_enabled`, by user id.
    pub pipeline_overrides: HashMap<String, bool>,
}

impl Snapshot {
    /// The decision for one user.
    pub fn decision_for(&self, user_id: &str) -> FlagDecision {
        let user_override = self.pipeline_overrides.get(user_id).copied();
        decide(
            self.kill_switch,
            pipeline_for_user(self.pipeline_default, user_override),
        )
    }
}

/// What the reader holds: the last snapshot and when the store last
/// answered (a version check that found nothing new counts).
#[derive(Debug, Default)]
pub struct Cache {
    snapshot: Option<Arc<Snapshot>>,
    confirmed_at: Option<Instant>,
}

impl Cache {
    /// The version held, if any.
    pub fn version(&self) -> Option<i64> {
        self.snapshot.as_ref().map(|s| s.version)
    }

    /// A new snapshot, read from a query that started at `at`.
    pub fn replace(&mut self, snapshot: Snapshot, at: Instant) {
        self.snapshot = Some(Arc::new(snapshot));
        self.confirm(at);
    }

    /// The store confirmed, in a query that started at `at`, that the
    /// snapshot held is still current.
    pub fn confirm(&mut self, at: Instant) {
        self.confirmed_at = Some(self.confirmed_at.map_or(at, |old| old.max(at)));
    }

    /// The decision for `user_id` at `now`, or why there is none.
    pub fn evaluate(
        &self,
        user_id: &str,
        now: Instant,
        staleness: Duration,
    ) -> Result<FlagDecision, FlagError> {
        let (Some(snapshot), Some(confirmed_at)) = (&self.snapshot, self.confirmed_at) else {
            return Err(FlagError::NotLoaded);
        };
        let age = now.saturating_duration_since(confirmed_at);
        if age > staleness {
            return Err(FlagError::Stale {
                age,
                bound: staleness,
            });
        }
        Ok(snapshot.decision_for(user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::DenyReason;

    fn snapshot(kill_switch: bool, pipeline_default: bool) -> Snapshot {
        Snapshot {
            version: 7,
            kill_switch,
            pipeline_default,
            pipeline_overrides: HashMap::from([
                ("usr_out".to_owned(), false),
                ("usr_in".to_owned(), true),
            ]),
        }
    }

    #[test]
    fn overrides_apply_to_their_user_only_and_the_switch_to_all() {
        let on = snapshot(false, true);
        assert_eq!(on.decision_for("usr_any"), FlagDecision::Allowed);
        assert_eq!(
            on.decision_for("usr_out"),
            FlagDecision::Denied(DenyReason::PipelineDisabled)
        );
        let off = snapshot(false, false);
        assert_eq!(off.decision_for("usr_in"), FlagDecision::Allowed);
        assert_eq!(
            off.decision_for("usr_any"),
            FlagDecision::Denied(DenyReason::PipelineDisabled)
        );
        let killed = snapshot(true, true);
        assert_eq!(
            killed.decision_for("usr_in"),
            FlagDecision::Denied(DenyReason::KillSwitch)
        );
    }

    #[test]
    fn an_empty_cache_is_not_loaded() {
        let cache = Cache::default();
        let result = cache.evaluate("usr_1", Instant::now(), Duration::from_secs(5));
        assert!(matches!(result, Err(FlagError::NotLoaded)), "{result:?}");
    }

    #[test]
    fn a_copy_answers_until_the_bound_and_then_is_stale() {
        let start = Instant::now();
        let bound = Duration::from_secs(5);
        let mut cache = Cache::default();
        cache.replace(snapshot(false, true), start);
        assert_eq!(cache.version(), Some(7));
        assert_eq!(
            cache.evaluate("usr_1", start + bound, bound).unwrap(),
            FlagDecision::Allowed
        );
        let late = cache.evaluate("usr_1", start + bound + Duration::from_millis(1), bound);
        assert!(matches!(late, Err(FlagError::Stale { .. })), "{late:?}");
    }

    #[test]
    fn a_confirmation_renews_the_copy_but_never_turns_back_the_clock() {
        let start = Instant::now();
        let bound = Duration::from_secs(5);
        let mut cache = Cache::default();
        cache.replace(snapshot(false, true), start);
        cache.confirm(start + Duration::from_secs(4));
        // A slow query that started earlier answers last: it must not age the copy.
        cache.confirm(start + Duration::from_secs(1));
        let at = start + Duration::from_secs(8);
        assert_eq!(
            cache.evaluate("usr_1", at, bound).unwrap(),
            FlagDecision::Allowed
        );
    }
}
