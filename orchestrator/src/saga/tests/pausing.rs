//! Pausing for the flags: a deferred step (or a trip arriving while the
//! flags deny) pauses without failing; a resume sends the same command
//! again; what expired meanwhile is not used.

use chrono::Duration;

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::{AfterRelease, Outcome, Phase};
use crate::saga::{Admission, DecideError, Effect, Policy, decide, start};

fn resume() -> ResumeRequested {
    ResumeRequested {
        by: "flags_allow".into(),
    }
}

#[test]
fn a_deferred_money_step_pauses_and_a_resume_sends_the_same_command() {
    for (name, entry) in [
        ("authorizing", enter_authorizing()),
        ("ordering", enter_ordering()),
        ("capturing", enter_capturing()),
    ] {
        let paused = deferred(&entry.saga);
        let Phase::Paused { waiting, reason } = &paused.phase else {
            panic!("{name}: not paused: {:?}", paused.phase);
        };
        assert_eq!(waiting.as_ref(), &entry.saga.phase, "{name}");
        assert_eq!(reason, "kill_switch");
        let resumed = apply(&paused, resume());
        assert_eq!(resumed.saga.phase, entry.saga.phase, "{name}");
        assert_eq!(
            sends(&resumed),
            sends(&entry),
            "{name}: same command, same key"
        );
        // A second resume (another orchestrator's) is harmless.
        assert!(matches!(
            try_apply(&resumed.saga, resume()),
            Err(DecideError::NotPaused { .. })
        ));
    }
}

#[test]
fn a_trip_arriving_while_the_flags_deny_starts_paused_and_searches_on_resume() {
    let paused = start(
        saga_id(),
        trip(),
        now(),
        &Policy::default(),
        &Admission::Paused {
            reason: "flags_unavailable".into(),
        },
    )
    .unwrap();
    assert_eq!(paused.saga.phase.status(), "paused");
    assert!(
        paused.effects.iter().all(|e| !matches!(e, Effect::Send(_))),
        "nothing is sent while paused"
    );
    // Nothing is held, so the deadline still applies.
    assert!(paused.effects.iter().any(|e| matches!(
        e,
        Effect::Schedule {
            timer: SagaTimer::Deadline { .. },
            ..
        }
    )));
    let resumed = apply(&paused.saga, resume());
    assert!(
        matches!(sent(&resumed), Message::SearchOffers(s) if s.idempotency_key == key(Step::Search, 1))
    );
}

#[test]
fn a_deadline_while_paused_with_nothing_held_ends_the_trip_but_not_with_a_hold() {
    let paused = start(
        saga_id(),
        trip(),
        now(),
        &Policy::default(),
        &Admission::Paused {
            reason: "kill_switch".into(),
        },
    )
    .unwrap()
    .saga;
    let deadline = TimerFired {
        timer: SagaTimer::Deadline {
            idempotency_key: key(Step::Search, 1),
        },
    };
    let ended = apply(&paused, deadline.clone());
    assert!(matches!(
        ended.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::DeadlinePassed { .. }
            },
            ..
        }
    ));
    let holding = deferred(&ordering());
    let late = TimerFired {
        timer: SagaTimer::Deadline {
            idempotency_key: key(Step::Order, 1),
        },
    };
    assert!(matches!(
        try_apply(&holding, late),
        Err(DecideError::StaleTimer { .. })
    ));
}

#[test]
fn an_offer_that_expired_while_paused_is_never_ordered() {
    let paused = deferred(&ordering());
    let Phase::Paused { waiting, .. } = &paused.phase else {
        panic!()
    };
    let Phase::Ordering { offer, .. } = waiting.as_ref() else {
        panic!()
    };
    let after_expiry = offer.expires_at + Duration::seconds(1);
    let resumed = decide(&paused, &resume().into(), after_expiry, &policy()).unwrap();
    let Phase::ReleasingHold { then, .. } = &resumed.saga.phase else {
        panic!(
            "expected the hold to be released, got {:?}",
            resumed.saga.phase
        );
    };
    assert_eq!(then, &AfterRelease::Research);
    assert!(matches!(sent(&resumed), Message::VoidHold(_)));
}

#[test]
fn the_switch_thrown_after_the_search_pauses_before_the_authorization() {
    let paused = deferred(&authorizing());
    // A late authorization (an earlier delivery went through) is settled.
    let authorized = PaymentAuthorized {
        idempotency_key: key(Step::Authorize, 1),
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    };
    let settled = apply(&paused, authorized);
    assert_eq!(settled.saga.phase.status(), "ordering");
}
