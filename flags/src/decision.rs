//! The decision every money-moving step asks for: may money move for this
//! user? Pure: two flag values in, a decision out, and the fail-closed rule
//! that turns "the flags could not be read" into "no".

use serde::Serialize;

use crate::error::FlagError;

/// Whether money may move (a hold, an order, a capture) for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", content = "reason", rename_all = "snake_case")]
pub enum FlagDecision {
    /// The kill switch is off and the pipeline is enabled for the user.
    Allowed,
    /// Money must not move, and why.
    Denied(DenyReason),
}

/// Why money may not move. Bounded: fit for a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DenyReason {
    /// The global kill switch is thrown.
    KillSwitch,
    /// The automatic booking pipeline is disabled for this user (by their
    /// override or by the global default).
    PipelineDisabled,
    /// The flags could not be read (or only stale values were at hand).
    Unavailable,
}

impl DenyReason {
    /// The reason as a stable snake_case word (logs, metric labels, JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            DenyReason::KillSwitch => "kill_switch",
            DenyReason::PipelineDisabled => "pipeline_disabled",
            DenyReason::Unavailable => "unavailable",
        }
    }
}

impl std::fmt::Display for DenyReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FlagDecision {
    /// True only for [`FlagDecision::Allowed`].
    pub fn money_may_move(self) -> bool {
        matches!(self, FlagDecision::Allowed)
    }

    /// Why money may not move; `None` when it may.
    pub fn deny_reason(self) -> Option<DenyReason> {
        match self {
            FlagDecision::Allowed => None,
            FlagDecision::Denied(reason) => Some(reason),
        }
    }
}

/// The decision from the two flags: the kill switch beats everything, then
/// the pipeline flag as it applies to the user.
pub fn decide(kill_switch: bool, pipeline_enabled: bool) -> FlagDecision {
    if kill_switch {
        FlagDecision::Denied(DenyReason::KillSwitch)
    } else if pipeline_enabled {
        FlagDecision::Allowed
    } else {
        FlagDecision::Denied(DenyReason::PipelineDisabled)
    }
}

/// The pipeline flag for one user: their override if they have one, else
/// the global default.
pub fn pipeline_for_user(global_default: bool, user_override: Option<bool>) -> bool {
    user_override.unwrap_or(global_default)
}

/// Fail closed: an evaluation that could not be made denies, as
/// [`DenyReason::Unavailable`], whatever the error.
pub fn fail_closed(evaluated: Result<FlagDecision, FlagError>) -> FlagDecision {
    match evaluated {
        Ok(decision) => decision,
        Err(_) => FlagDecision::Denied(DenyReason::Unavailable),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn money_moves_only_with_the_switch_off_and_the_pipeline_on() {
        for kill_switch in [false, true] {
            for pipeline in [false, true] {
                let decision = decide(kill_switch, pipeline);
                assert_eq!(
                    decision.money_may_move(),
                    !kill_switch && pipeline,
                    "kill_switch={kill_switch} pipeline={pipeline}"
                );
            }
        }
    }

    #[test]
    fn the_kill_switch_beats_an_enabled_pipeline_and_is_named() {
        assert_eq!(
            decide(true, true),
            FlagDecision::Denied(DenyReason::KillSwitch)
        );
        assert_eq!(
            decide(true, false),
            FlagDecision::Denied(DenyReason::KillSwitch)
        );
        assert_eq!(
            decide(false, false),
            FlagDecision::Denied(DenyReason::PipelineDisabled)
        );
    }

    #[test]
    fn a_user_override_beats_the_global_default_either_way() {
        assert!(!pipeline_for_user(true, Some(false)));
        assert!(pipeline_for_user(false, Some(true)));
        assert!(pipeline_for_user(true, None));
        assert!(!pipeline_for_user(false, None));
    }

    #[test]
    fn every_error_fails_closed() {
        let errors = [
            FlagError::NotLoaded,
            FlagError::Stale {
                age: Duration::from_secs(9),
                bound: Duration::from_secs(5),
            },
            FlagError::Missing("kill_switch"),
            FlagError::NotInitialised,
            FlagError::Offline,
        ];
        for error in errors {
            assert_eq!(
                fail_closed(Err(error)),
                FlagDecision::Denied(DenyReason::Unavailable)
            );
        }
        assert_eq!(fail_closed(Ok(decide(false, true))), FlagDecision::Allowed);
        assert_eq!(
            fail_closed(Ok(decide(true, true))),
            FlagDecision::Denied(DenyReason::KillSwitch)
        );
    }

    #[test]
    fn decisions_serialise_with_their_reason() {
        let denied = serde_json::to_value(FlagDecision::Denied(DenyReason::PipelineDisabled));
        assert_eq!(
            denied.unwrap(),
            serde_json::json!({"decision": "denied", "reason": "pipeline_disabled"})
        );
        let allowed = serde_json::to_value(FlagDecision::Allowed).unwrap();
        assert_eq!(allowed, serde_json::json!({"decision": "allowed"}));
    }
}
