//! Step deadlines: every command sent to a worker carries a deadline; a
//! step with no reply by then is sent again under the same key, and after
//! the configured re-sends the saga is stuck (an email is recorded as not
//! sent). Compensations Stripe can never carry out go to an operator at
//! once.

use std::time::Duration;

use autobook_contracts::events::{RefundFailed, SagaTimer, TimerFired, VoidFailed};
use autobook_contracts::{IdempotencyKey, Step};

use super::fixtures::*;
use crate::saga::deadlines::{self, DeadlineChange, StepDeadlines};
use crate::saga::{DecideError, Decision, Effect, Phase, Saga};

fn overdue(key: IdempotencyKey) -> TimerFired {
    TimerFired {
        timer: SagaTimer::StepDeadline {
            idempotency_key: key,
        },
    }
}

/// Every phase waiting on a worker, with the decision that entered it.
fn in_flight() -> Vec<(&'static str, Step, Decision)> {
    vec![
        ("authorizing", Step::Authorize, enter_authorizing()),
        ("ordering", Step::Order, enter_ordering()),
        ("capturing", Step::Capture, enter_capturing()),
        ("releasing_hold", Step::Void, enter_releasing_hold()),
        ("cancelling_order", Step::Cancel, enter_cancelling_order()),
        ("notifying", Step::Notify, enter_notifying_booked()),
    ]
}

#[test]
fn a_command_sent_to_a_worker_sets_its_steps_deadline() {
    let policy = policy();
    for (name, step, entry) in in_flight() {
        let change = deadlines::after(None, &entry, &policy.step_deadlines);
        assert_eq!(
            change,
            DeadlineChange::Set {
                key: key(step, 1),
                after: policy.step_deadlines.for_step(step),
            },
            "{name}"
        );
    }
}

#[test]
fn each_kind_of_step_has_its_own_deadline() {
    let deadlines = StepDeadlines {
        search: Duration::from_secs(1),
        payment: Duration::from_secs(2),
        airline: Duration::from_secs(3),
        notify: Duration::from_secs(4),
    };
    let expected = [
        (Step::Search, 1),
        (Step::Authorize, 2),
        (Step::Capture, 2),
        (Step::Void, 2),
        (Step::Refund, 2),
        (Step::Order, 3),
        (Step::Cancel, 3),
        (Step::Notify, 4),
        (Step::NotifyCancellation, 4),
    ];
    for (step, secs) in expected {
        assert_eq!(
            deadlines.for_step(step),
            Duration::from_secs(secs),
            "{step:?}"
        );
    }
}

#[test]
fn waiting_on_a_timer_an_operator_or_nothing_clears_the_deadline() {
    let ordering = ordering();
    let unknown = apply(&ordering, unknown(pending(&ordering), Step::Order));
    assert_eq!(status(&unknown.saga), "outcome_unknown");
    for (name, before, decision) in [
        ("outcome_unknown", Some(&ordering), unknown.clone()),
        (
            "watching",
            None,
            Decision {
                saga: watching(),
                effects: Vec::new(),
            },
        ),
        (
            "booked",
            None,
            Decision {
                saga: booked(),
                effects: Vec::new(),
            },
        ),
    ] {
        assert_eq!(
            deadlines::after(before, &decision, &policy().step_deadlines),
            DeadlineChange::Clear,
            "{name}"
        );
    }
}

#[test]
fn a_decision_that_sends_nothing_keeps_the_deadline_of_the_step_in_flight() {
    let ordering = ordering();
    // A cancel while the order is in flight: remembered, nothing sent.
    let remembered = apply(&ordering, cancel_request());
    assert!(remembered.effects.is_empty(), "{:?}", remembered.effects);
    assert_eq!(
        deadlines::after(Some(&ordering), &remembered, &policy().step_deadlines),
        DeadlineChange::Keep
    );
}

#[test]
fn a_step_with_no_reply_by_its_deadline_is_sent_again_with_the_same_key() {
    for (name, step, entry) in in_flight() {
        let original = sent(&entry).clone();
        let again = apply(&entry.saga, overdue(key(step, 1)));
        assert_eq!(again.effects, vec![Effect::Send(original)], "{name}");
        assert_eq!(
            again.saga,
            Saga {
                step_resends: 1,
                ..entry.saga.clone()
            },
            "{name}: same step, the re-send counted"
        );
        assert_eq!(
            deadlines::after(Some(&entry.saga), &again, &policy().step_deadlines),
            DeadlineChange::Set {
                key: key(step, 1),
                after: policy().step_deadlines.for_step(step),
            },
            "{name}: a new deadline for the re-sent command"
        );
    }
}

#[test]
fn after_the_last_re_send_the_saga_is_stuck_with_a_reason() {
    for (name, step, entry) in in_flight() {
        let mut saga = entry.saga.clone();
        saga.step_resends = policy().max_step_resends;
        let decision = apply(&saga, overdue(key(step, 1)));
        if step == Step::Notify {
            assert_eq!(
                status(&decision.saga),
                "booked",
                "an email never holds money"
            );
            continue;
        }
        match &decision.saga.phase {
            Phase::Stuck {
                problem, resume, ..
            } => {
                assert!(problem.contains(step.as_str()), "{name}: {problem}");
                assert!(problem.contains("re-sends"), "{name}: {problem}");
                assert_eq!(resume.as_deref(), Some(&entry.saga.phase), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(decision.effects.is_empty(), "{name}");
    }
}

#[test]
fn a_deadline_of_a_step_the_saga_has_left_is_stale_and_harmless() {
    let capturing = capturing();
    let stale = try_apply(&capturing, overdue(key(Step::Order, 1))).unwrap_err();
    assert!(matches!(stale, DecideError::StaleTimer { .. }), "{stale:?}");
    assert!(stale.is_harmless());
    // Waiting on a re-check timer, a deadline does nothing either.
    let unknown = apply(&capturing, unknown(pending(&capturing), Step::Capture)).saga;
    let stale = try_apply(&unknown, overdue(key(Step::Capture, 1))).unwrap_err();
    assert!(stale.is_harmless(), "{stale:?}");
    let stale = try_apply(&booked(), overdue(key(Step::Notify, 1))).unwrap_err();
    assert!(stale.is_harmless(), "{stale:?}");
}

#[test]
fn re_sends_are_counted_per_step() {
    let ordering = ordering();
    let resent = apply(&ordering, overdue(key(Step::Order, 1))).saga;
    assert_eq!(resent.step_resends, 1);
    let capturing = apply(&resent, sample_order_created()).saga;
    assert_eq!(status(&capturing), "capturing");
    assert_eq!(capturing.step_resends, 0, "a new step starts with none");
}

fn sample_order_created() -> autobook_contracts::Message {
    sample(
        autobook_contracts::MessageType::OrderCreated,
        &key(Step::Order, 1),
    )
}

#[test]
fn a_release_stripe_can_never_make_goes_to_an_operator_at_once() {
    let releasing = releasing_hold();
    let decision = apply(
        &releasing,
        VoidFailed {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
            detail: "the payment intent does not exist at Stripe".into(),
            permanent: true,
        },
    );
    match &decision.saga.phase {
        Phase::Stuck { problem, .. } => assert!(problem.contains("does not exist"), "{problem}"),
        other => panic!("{other:?}"),
    }
    let refunding = refunding();
    let decision = apply(
        &refunding,
        RefundFailed {
            idempotency_key: pending(&refunding),
            payment_intent_id: "pi_1".into(),
            detail: "the payment intent does not exist at Stripe".into(),
            permanent: true,
        },
    );
    assert_eq!(status(&decision.saga), "stuck");
}
