//! The flag gate in front of every call that moves money: the hold
//! (authorize), the airline order and the capture. Right before such a call
//! the worker asks the flags whether money may move for the trip's user;
//! when they deny, the call is not made and the command is answered with
//! `StepDeferred` instead. Voids, order cancellations, refunds, searches
//! and emails give money back or move none, and are never gated.
//!
//! Where the gate stands in the handling of a command:
//!
//! 1. The key is claimed in the provider-call ledger first. A stored reply
//!    is replayed without asking the flags: it reports a call already
//!    made, moves no money, and is the truth the saga must hear (a "hold
//!    placed" withheld behind a deferral could leave a hold nobody
//!    releases). A call in flight elsewhere is left to its owner, which
//!    answers; deferring it here would give the step two answers.
//! 2. The owner of the claim performs the step. Look-ups that settle an
//!    earlier attempt's outcome (after a takeover) come before the gate:
//!    they are reads, and what they find is reported as usual.
//! 3. Just before the step's first call that would change anything at the
//!    provider, the flags are asked ([`check`]). A denial ends the attempt
//!    with [`Deferral`] before anything is sent.
//! 4. The handler then releases the claim without storing a reply, so the
//!    same command sent again once the flags allow goes ahead (looking up
//!    first, as after any released claim), and publishes `StepDeferred`.
//!
//! The decision itself ([`gate`]) is pure; [`check`] reads the flags'
//! in-memory copy, which never waits on the network and fails closed.

use autobook_contracts::codes::UserId;
use autobook_contracts::events::StepDeferred;
use autobook_contracts::{IdempotencyKey, Step};
use autobook_flags::{DenyReason, FlagDecision, FlagSource};

/// Whether a step moves the traveller's money (or commits it) and so
/// must be allowed by the flags.
pub fn is_gated(step: Step) -> bool {
    match step {
        Step::Authorize | Step::Order | Step::Capture => true,
        Step::Search
        | Step::Void
        | Step::Cancel
        | Step::Refund
        | Step::Notify
        | Step::NotifyCancellation => false,
    }
}

/// A money-moving step the flags held back, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deferral {
    pub step: Step,
    pub reason: DenyReason,
}

impl Deferral {
    /// The reply for the command of `key`.
    pub fn reply(&self, key: &IdempotencyKey) -> StepDeferred {
        StepDeferred {
            idempotency_key: key.clone(),
            step: self.step,
            reason: self.reason.as_str().to_owned(),
        }
    }
}

/// Proceed with `step`, or defer it, given the flags' `decision`.
pub fn gate(step: Step, decision: FlagDecision) -> Result<(), Deferral> {
    match decision {
        FlagDecision::Denied(reason) if is_gated(step) => Err(Deferral { step, reason }),
        _ => Ok(()),
    }
}

/// Asks `flags` about `user` right before a `step` call. Ungated steps do
/// not ask.
pub fn check(flags: &dyn FlagSource, user: &UserId, step: Step) -> Result<(), Deferral> {
    if !is_gated(step) {
        return Ok(());
    }
    gate(step, flags.decide(user.as_str()))
}

#[cfg(test)]
mod tests {
    use autobook_flags::FixedFlags;

    use super::*;

    const ALL_STEPS: [Step; 8] = [
        Step::Search,
        Step::Authorize,
        Step::Order,
        Step::Capture,
        Step::Void,
        Step::Cancel,
        Step::Refund,
        Step::Notify,
    ];

    fn user() -> UserId {
        UserId::parse("usr_42").unwrap()
    }

    fn denied(reason: DenyReason) -> FixedFlags {
        FixedFlags::Decision(FlagDecision::Denied(reason))
    }

    #[test]
    fn only_holds_orders_and_captures_are_gated() {
        let gated: Vec<Step> = ALL_STEPS.into_iter().filter(|s| is_gated(*s)).collect();
        assert_eq!(gated, [Step::Authorize, Step::Order, Step::Capture]);
    }

    #[test]
    fn a_denial_defers_a_money_moving_step_with_its_reason() {
        for reason in [
            DenyReason::KillSwitch,
            DenyReason::PipelineDisabled,
            DenyReason::Unavailable,
        ] {
            for step in [Step::Authorize, Step::Order, Step::Capture] {
                assert_eq!(
                    check(&denied(reason), &user(), step),
                    Err(Deferral { step, reason }),
                    "{step:?} {reason}"
                );
            }
        }
    }

    #[test]
    fn unreadable_flags_defer_as_unavailable() {
        assert_eq!(
            check(&FixedFlags::Unreadable, &user(), Step::Capture),
            Err(Deferral {
                step: Step::Capture,
                reason: DenyReason::Unavailable
            })
        );
    }

    #[test]
    fn allowed_flags_let_every_step_through() {
        let allowed = FixedFlags::Decision(FlagDecision::Allowed);
        for step in ALL_STEPS {
            assert_eq!(check(&allowed, &user(), step), Ok(()), "{step:?}");
        }
    }

    #[test]
    fn compensations_searches_and_emails_go_ahead_whatever_the_flags() {
        for flags in [denied(DenyReason::KillSwitch), FixedFlags::Unreadable] {
            for step in [
                Step::Void,
                Step::Cancel,
                Step::Refund,
                Step::Search,
                Step::Notify,
            ] {
                assert_eq!(check(&flags, &user(), step), Ok(()), "{step:?}");
            }
        }
    }

    #[test]
    fn the_reply_names_the_step_and_the_reason_code() {
        let key = IdempotencyKey::derive(uuid::Uuid::now_v7(), Step::Order, 2);
        let reply = Deferral {
            step: Step::Order,
            reason: DenyReason::PipelineDisabled,
        }
        .reply(&key);
        assert_eq!(
            reply,
            StepDeferred {
                idempotency_key: key,
                step: Step::Order,
                reason: "pipeline_disabled".into(),
            }
        );
    }
}
