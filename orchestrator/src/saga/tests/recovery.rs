//! Recovery: steps whose outcome is unknown (re-checked with the same
//! command and key, with doubling pauses, until the saga is stuck), failed
//! compensations (retried, then stuck), and what an operator can do with a
//! stuck saga (retry with fresh budgets, or abort).

use std::time::Duration;

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, MessageType, Step};

use super::fixtures::*;
use crate::saga::state::{AfterRelease, Hold, OrderRef, Outcome, Phase, Saga};
use crate::saga::{Admission, DecideError, Decision, Effect, Policy, start, steps};

const DETAIL: &str = "provider timed out";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn hold() -> Hold {
    Hold {
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    }
}

fn order_ref() -> OrderRef {
    OrderRef {
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    }
}

/// A phase that waits on a worker, the decision that entered it (whose
/// only effect is the command it sent) and what it holds at the providers.
struct Waiting {
    status: &'static str,
    step: Step,
    entry: Decision,
    hold: Option<Hold>,
    order: Option<OrderRef>,
}

fn waiting_phases() -> Vec<Waiting> {
    let w = |status, step, entry, hold, order| Waiting {
        status,
        step,
        entry,
        hold,
        order,
    };
    vec![
        w(
            "searching",
            Step::Search,
            start(
                saga_id(),
                trip(),
                now(),
                &Policy::default(),
                &Admission::Open,
            )
            .unwrap(),
            None,
            None,
        ),
        w(
            "authorizing",
            Step::Authorize,
            enter_authorizing(),
            None,
            None,
        ),
        w(
            "ordering",
            Step::Order,
            enter_ordering(),
            Some(hold()),
            None,
        ),
        w(
            "capturing",
            Step::Capture,
            enter_capturing(),
            Some(hold()),
            Some(order_ref()),
        ),
        w(
            "releasing_hold",
            Step::Void,
            enter_releasing_hold(),
            Some(hold()),
            None,
        ),
        w(
            "cancelling_order",
            Step::Cancel,
            enter_cancelling_order(),
            Some(hold()),
            Some(order_ref()),
        ),
        w(
            "notifying",
            Step::Notify,
            enter_notifying_booked(),
            None,
            None,
        ),
        w(
            "notifying",
            Step::Notify,
            enter_notifying_failed(),
            None,
            None,
        ),
    ]
}

/// The only effect of the decision, a timer.
fn scheduled(decision: &Decision) -> (SagaTimer, Duration) {
    match decision.effects.as_slice() {
        [Effect::Schedule { timer, after }] => (timer.clone(), *after),
        other => panic!("expected one timer, got {other:?}"),
    }
}

/// A saga in `outcome_unknown` while waiting on `saga`'s step.
fn outcome_unknown(saga: &Saga, step: Step) -> Saga {
    apply(saga, unknown(pending(saga), step)).saga
}

/// The stuck saga that exhausting the re-checks of `saga`'s step leads to.
fn stuck_by_rechecks(saga: &Saga, step: Step) -> Saga {
    let mut saga = saga.clone();
    saga.rechecks = policy().max_rechecks;
    let stuck = apply(&saga, unknown(pending(&saga), step)).saga;
    assert_eq!(status(&stuck), "stuck");
    stuck
}

fn void_failed() -> VoidFailed {
    VoidFailed {
        idempotency_key: key(Step::Void, 1),
        payment_intent_id: "pi_1".into(),
        detail: "stripe 503".into(),
        permanent: false,
    }
}

fn cancel_failed() -> CancelFailed {
    CancelFailed {
        idempotency_key: key(Step::Cancel, 1),
        order_id: "ord_1".into(),
        detail: "duffel 503".into(),
    }
}

// ---------------------------------------------------------------------------
// Unknown outcomes

#[test]
fn an_unknown_outcome_in_each_waiting_phase_waits_and_schedules_a_recheck() {
    for Waiting {
        status: name,
        step,
        entry,
        ..
    } in waiting_phases()
    {
        let saga = entry.saga;
        assert_eq!(status(&saga), name);
        let step_key = key(step, 1);
        assert_eq!(pending(&saga), step_key, "{name}");

        let decision = apply(&saga, unknown(step_key.clone(), step));

        assert_eq!(
            decision.saga,
            Saga {
                rechecks: 1,
                phase: Phase::OutcomeUnknown {
                    waiting: Box::new(saga.phase.clone()),
                    detail: DETAIL.into(),
                },
                ..saga.clone()
            },
            "{name}"
        );
        assert_eq!(
            decision.effects,
            vec![Effect::Schedule {
                timer: SagaTimer::RecheckStep {
                    idempotency_key: step_key.clone()
                },
                after: secs(5),
            }],
            "{name}: nothing is sent, nothing compensated, only a timer"
        );
        assert_eq!(status(&decision.saga), "outcome_unknown");
        assert_eq!(decision.saga.phase.pending_key(), Some(&step_key));
        assert!(!decision.saga.phase.is_terminal());
    }
}

#[test]
fn the_recheck_resends_exactly_the_same_command_with_the_same_key() {
    for Waiting {
        status: name,
        step,
        entry,
        ..
    } in waiting_phases()
    {
        let original = sent(&entry).clone();
        let step_key = key(step, 1);
        assert_eq!(original.idempotency_key(), Some(&step_key), "{name}");

        let waiting = apply(&entry.saga, unknown(step_key.clone(), step));
        let recheck = apply(&waiting.saga, recheck_timer(step_key.clone()));

        assert_eq!(
            recheck.effects,
            vec![Effect::Send(original)],
            "{name}: the same command, same key, so the worker looks it up"
        );
        assert_eq!(
            recheck.saga,
            Saga {
                rechecks: 1,
                ..entry.saga.clone()
            },
            "{name}: back to waiting on the step, the re-check counted"
        );
    }
}

#[test]
fn resend_rebuilds_the_command_each_waiting_phase_sent() {
    for Waiting {
        status: name,
        step,
        entry,
        ..
    } in waiting_phases()
    {
        let saga = &entry.saga;
        assert_eq!(
            steps::resend(saga, &saga.phase).as_ref(),
            Some(sent(&entry)),
            "{name}"
        );
        let unknown = outcome_unknown(saga, step);
        assert_eq!(
            steps::resend(&unknown, &unknown.phase).as_ref(),
            Some(sent(&entry)),
            "{name}: outcome_unknown resends what it waits on"
        );
    }
    for saga in [
        booked(),
        failed(),
        stuck_by_rechecks(&ordering(), Step::Order),
    ] {
        assert_eq!(steps::resend(&saga, &saga.phase), None, "{}", status(&saga));
    }
}

#[test]
fn backoff_doubles_from_the_base_and_is_capped() {
    let policy = Policy::default();
    let base = policy.recheck_delay;
    assert_eq!(base, secs(5));
    let delays: Vec<u64> = (0..10).map(|n| policy.backoff(base, n).as_secs()).collect();
    assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 600, 600, 600]);
    assert_eq!(policy.backoff(base, 31), policy.max_retry_delay);
    assert_eq!(policy.backoff(base, u32::MAX), policy.max_retry_delay);
    assert_eq!(
        policy.backoff(Duration::MAX, 16),
        policy.max_retry_delay,
        "no overflow"
    );
    let uncapped = Policy {
        max_retry_delay: Duration::MAX,
        ..Policy::default()
    };
    assert_eq!(uncapped.backoff(secs(1), 10), secs(1024));
}

#[test]
fn rechecks_back_off_doubling_up_to_the_cap() {
    let policy = Policy {
        max_rechecks: 9,
        recheck_delay: secs(5),
        max_retry_delay: secs(60),
        ..Policy::default()
    };
    let mut saga = ordering();
    let mut delays = Vec::new();
    for n in 1..=9 {
        let waiting = apply_with(&saga, unknown(key(Step::Order, 1), Step::Order), &policy);
        assert_eq!(waiting.saga.rechecks, n);
        let (timer, after) = scheduled(&waiting);
        assert_eq!(
            timer,
            SagaTimer::RecheckStep {
                idempotency_key: key(Step::Order, 1)
            }
        );
        delays.push(after.as_secs());
        let recheck = apply_with(&waiting.saga, recheck_timer(key(Step::Order, 1)), &policy);
        assert!(matches!(sent(&recheck), Message::CreateOrder(_)));
        saga = recheck.saga;
    }
    assert_eq!(delays, [5, 10, 20, 40, 60, 60, 60, 60, 60]);
    let stuck = apply_with(&saga, unknown(key(Step::Order, 1), Step::Order), &policy);
    assert_eq!(status(&stuck.saga), "stuck");
}

#[test]
fn an_outcome_still_unknown_after_max_rechecks_makes_the_saga_stuck() {
    let ordering = ordering();
    let mut saga = ordering.clone();
    let mut delays = Vec::new();
    for _ in 0..Policy::default().max_rechecks {
        let waiting = apply(&saga, unknown(key(Step::Order, 1), Step::Order));
        delays.push(scheduled(&waiting).1.as_secs());
        saga = apply(&waiting.saga, recheck_timer(key(Step::Order, 1))).saga;
    }
    assert_eq!(delays, [5, 10, 20, 40, 80, 160]);
    assert_eq!(saga.rechecks, 6);
    assert_eq!(saga.phase, ordering.phase);

    let stuck = apply(&saga, unknown(key(Step::Order, 1), Step::Order));
    let Phase::Stuck {
        problem,
        hold: held,
        order,
        resume,
    } = &stuck.saga.phase
    else {
        panic!("{:?}", stuck.saga.phase)
    };
    assert_eq!(*held, Some(hold()), "the hold stays on record");
    assert_eq!(*order, None);
    assert_eq!(resume.as_deref(), Some(&ordering.phase));
    assert!(problem.contains("order"), "{problem}");
    assert!(problem.contains("6 re-checks"), "{problem}");
    assert!(problem.contains(DETAIL), "{problem}");
    assert!(stuck.effects.is_empty(), "no guess, no compensation");
    assert!(stuck.saga.phase.is_terminal());
    assert_eq!(stuck.saga.phase.pending_key(), None);
}

#[test]
fn exhausting_rechecks_in_each_waiting_phase_carries_its_hold_and_order() {
    for Waiting {
        status: name,
        step,
        entry,
        hold,
        order,
    } in waiting_phases()
    {
        if step == Step::Notify {
            continue; // an email is settled as not sent instead (see below)
        }
        let mut saga = entry.saga.clone();
        saga.rechecks = policy().max_rechecks;
        let stuck = apply(&saga, unknown(key(step, 1), step));
        assert_eq!(
            stuck.saga.phase,
            Phase::Stuck {
                problem: format!(
                    "{} outcome still unknown after 6 re-checks: {DETAIL}",
                    step.as_str()
                ),
                hold,
                order,
                resume: Some(Box::new(entry.saga.phase.clone())),
            },
            "{name}"
        );
        assert!(stuck.effects.is_empty(), "{name}");
    }
}

#[test]
fn a_repeated_unknown_while_waiting_counts_and_backs_off_without_nesting() {
    let ordering = ordering();
    let first = apply(&ordering, unknown(key(Step::Order, 1), Step::Order));
    let again = apply(
        &first.saga,
        StepOutcomeUnknown {
            idempotency_key: key(Step::Order, 1),
            step: Step::Order,
            detail: "still timing out".into(),
        },
    );
    assert_eq!(again.saga.rechecks, 2);
    assert_eq!(
        again.saga.phase,
        Phase::OutcomeUnknown {
            waiting: Box::new(ordering.phase.clone()),
            detail: "still timing out".into(),
        }
    );
    assert_eq!(scheduled(&again).1, secs(10));

    let mut saga = first.saga.clone();
    saga.rechecks = policy().max_rechecks;
    let stuck = apply(&saga, unknown(key(Step::Order, 1), Step::Order));
    assert!(
        matches!(&stuck.saga.phase, Phase::Stuck { resume: Some(r), .. } if **r == ordering.phase),
        "resume is the step, never outcome_unknown: {:?}",
        stuck.saga.phase
    );
}

#[test]
fn a_late_reply_while_outcome_unknown_is_applied_as_if_in_time() {
    let created = OrderCreated {
        idempotency_key: key(Step::Order, 1),
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    };
    let cases: Vec<(Saga, Step, Message, &str)> = vec![
        (
            authorizing(),
            Step::Authorize,
            PaymentAuthorized {
                idempotency_key: key(Step::Authorize, 1),
                payment_intent_id: "pi_1".into(),
                amount: usd(40000),
            }
            .into(),
            "ordering",
        ),
        (
            authorizing(),
            Step::Authorize,
            PaymentDeclined {
                idempotency_key: key(Step::Authorize, 1),
                payment_intent_id: None,
                decline_code: Some("do_not_honor".into()),
                detail: "declined".into(),
            }
            .into(),
            "notifying",
        ),
        (ordering(), Step::Order, created.clone().into(), "capturing"),
        (
            ordering(),
            Step::Order,
            OrderFailed {
                idempotency_key: key(Step::Order, 1),
                reason: OrderFailureReason::Permanent,
                detail: "no".into(),
            }
            .into(),
            "releasing_hold",
        ),
        (
            capturing(),
            Step::Capture,
            PaymentCaptured {
                idempotency_key: key(Step::Capture, 1),
                payment_intent_id: "pi_1".into(),
                amount: usd(40000),
            }
            .into(),
            "notifying",
        ),
        (
            capturing(),
            Step::Capture,
            CaptureFailed {
                idempotency_key: key(Step::Capture, 1),
                payment_intent_id: "pi_1".into(),
                detail: "lapsed".into(),
            }
            .into(),
            "cancelling_order",
        ),
        (
            releasing_hold(),
            Step::Void,
            HoldVoided {
                idempotency_key: key(Step::Void, 1),
                payment_intent_id: "pi_1".into(),
            }
            .into(),
            "notifying",
        ),
        (
            releasing_hold(),
            Step::Void,
            void_failed().into(),
            "releasing_hold",
        ),
        (
            cancelling_order(),
            Step::Cancel,
            OrderCancelled {
                idempotency_key: key(Step::Cancel, 1),
                order_id: "ord_1".into(),
                refund: None,
            }
            .into(),
            "releasing_hold",
        ),
        (
            cancelling_order(),
            Step::Cancel,
            cancel_failed().into(),
            "cancelling_order",
        ),
        (
            notifying_booked(),
            Step::Notify,
            NotificationSent {
                idempotency_key: key(Step::Notify, 1),
                email_id: "em".into(),
            }
            .into(),
            "booked",
        ),
        (
            notifying_failed(),
            Step::Notify,
            NotificationFailed {
                idempotency_key: key(Step::Notify, 1),
                detail: "bounced".into(),
            }
            .into(),
            "failed",
        ),
    ];
    for (saga, step, reply, expected) in cases {
        let unknown = outcome_unknown(&saga, step);
        let late = apply(&unknown, reply.clone());
        let in_time = apply(
            &Saga {
                rechecks: unknown.rechecks,
                ..saga.clone()
            },
            reply.clone(),
        );
        assert_eq!(
            late,
            in_time,
            "{} while outcome_unknown",
            reply.message_type()
        );
        assert_eq!(status(&late.saga), expected, "{}", reply.message_type());
    }

    // The concrete case: the order did exist; capture it.
    let late = apply(&outcome_unknown(&ordering(), Step::Order), created);
    assert_eq!(late.saga.phase, capturing().phase);
    assert!(
        matches!(sent(&late), Message::CapturePayment(c) if c.idempotency_key == key(Step::Capture, 1) && c.amount == usd(40000))
    );
}

#[test]
fn the_recheck_timer_after_a_late_reply_is_stale() {
    let unknown = outcome_unknown(&ordering(), Step::Order);
    let capturing = apply(
        &unknown,
        OrderCreated {
            idempotency_key: key(Step::Order, 1),
            order_id: "ord_1".into(),
            booking_reference: "RZPNX8".into(),
            amount: usd(40000),
        },
    )
    .saga;
    assert_eq!(
        try_apply(&capturing, recheck_timer(key(Step::Order, 1))),
        Err(DecideError::StaleTimer {
            key: key(Step::Order, 1),
            status: "capturing"
        })
    );
}

#[test]
fn a_reply_to_another_step_while_outcome_unknown_is_stale() {
    let unknown = outcome_unknown(&ordering(), Step::Order);
    let old = key(Step::Authorize, 1);
    assert_eq!(
        try_apply(&unknown, sample(MessageType::PaymentAuthorized, &old)),
        Err(DecideError::StaleReply {
            expected: Some(key(Step::Order, 1)),
            got: old.clone(),
        })
    );
    assert_eq!(
        try_apply(
            &unknown,
            super::fixtures::unknown(old.clone(), Step::Authorize)
        ),
        Err(DecideError::StaleReply {
            expected: Some(key(Step::Order, 1)),
            got: old,
        })
    );
}

// ---------------------------------------------------------------------------
// Failed compensations

#[test]
fn a_failed_void_is_retried_with_the_same_command_until_the_saga_is_stuck() {
    let entry = enter_releasing_hold();
    let void = sent(&entry).clone();
    let releasing = entry.saga.phase.clone();
    let mut saga = entry.saga.clone();
    let mut delays = Vec::new();
    for attempt in 1..Policy::default().max_compensation_attempts {
        let failed = apply(&saga, void_failed());
        assert_eq!(failed.saga.phase, releasing, "the phase stays");
        assert_eq!(failed.saga.compensation_attempts, attempt);
        let (timer, after) = scheduled(&failed);
        assert_eq!(
            timer,
            SagaTimer::RetryCompensation {
                idempotency_key: key(Step::Void, 1)
            }
        );
        delays.push(after.as_secs());

        let retry = apply(&failed.saga, retry_timer(key(Step::Void, 1)));
        assert_eq!(retry.effects, vec![Effect::Send(void.clone())]);
        assert_eq!(retry.saga, failed.saga, "only the command goes out again");
        saga = retry.saga;
    }
    assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320]);

    let stuck = apply(&saga, void_failed());
    assert_eq!(
        stuck.saga.phase,
        Phase::Stuck {
            problem: "hold could not be released after 8 attempts: stripe 503".into(),
            hold: Some(hold()),
            order: None,
            resume: Some(Box::new(releasing)),
        }
    );
    assert!(stuck.effects.is_empty());
}

#[test]
fn a_failed_cancel_is_retried_with_the_same_command_until_the_saga_is_stuck() {
    let entry = enter_cancelling_order();
    let cancel = sent(&entry).clone();
    assert!(
        matches!(&cancel, Message::CancelOrder(c) if c.idempotency_key == key(Step::Cancel, 1))
    );
    let cancelling = entry.saga.phase.clone();
    let mut saga = entry.saga.clone();
    let mut delays = Vec::new();
    for attempt in 1..Policy::default().max_compensation_attempts {
        let failed = apply(&saga, cancel_failed());
        assert_eq!(failed.saga.phase, cancelling, "the phase stays");
        assert_eq!(failed.saga.compensation_attempts, attempt);
        let (timer, after) = scheduled(&failed);
        assert_eq!(
            timer,
            SagaTimer::RetryCompensation {
                idempotency_key: key(Step::Cancel, 1)
            }
        );
        delays.push(after.as_secs());

        let retry = apply(&failed.saga, retry_timer(key(Step::Cancel, 1)));
        assert_eq!(retry.effects, vec![Effect::Send(cancel.clone())]);
        assert_eq!(retry.saga, failed.saga);
        saga = retry.saga;
    }
    assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320]);

    let stuck = apply(&saga, cancel_failed());
    assert_eq!(
        stuck.saga.phase,
        Phase::Stuck {
            problem: "order could not be cancelled after 8 attempts: duffel 503".into(),
            hold: Some(hold()),
            order: Some(order_ref()),
            resume: Some(Box::new(cancelling)),
        }
    );
    assert!(stuck.effects.is_empty());
}

#[test]
fn compensation_retries_are_capped_by_the_longest_delay() {
    let policy = Policy {
        compensation_retry_delay: secs(100),
        max_retry_delay: secs(300),
        max_compensation_attempts: 10,
        ..Policy::default()
    };
    let mut saga = releasing_hold();
    let mut delays = Vec::new();
    for _ in 0..5 {
        let failed = apply_with(&saga, void_failed(), &policy);
        delays.push(scheduled(&failed).1.as_secs());
        saga = apply_with(&failed.saga, retry_timer(key(Step::Void, 1)), &policy).saga;
    }
    assert_eq!(delays, [100, 200, 300, 300, 300]);
}

#[test]
fn a_single_attempt_budget_is_stuck_at_the_first_failure() {
    let policy = Policy {
        max_compensation_attempts: 1,
        ..Policy::default()
    };
    let stuck = apply_with(&releasing_hold(), void_failed(), &policy);
    assert!(matches!(
        &stuck.saga.phase,
        Phase::Stuck {
            hold: Some(_),
            order: None,
            resume: Some(_),
            ..
        }
    ));
    let stuck = apply_with(&cancelling_order(), cancel_failed(), &policy);
    assert!(matches!(
        &stuck.saga.phase,
        Phase::Stuck {
            hold: Some(_),
            order: Some(_),
            resume: Some(_),
            ..
        }
    ));
}

#[test]
fn a_successful_compensation_resets_the_attempts() {
    // Cancel fails twice, then succeeds: the void starts with a fresh budget.
    let mut saga = cancelling_order();
    for _ in 0..2 {
        let failed = apply(&saga, cancel_failed());
        saga = apply(&failed.saga, retry_timer(key(Step::Cancel, 1))).saga;
    }
    assert_eq!(saga.compensation_attempts, 2);
    let releasing = apply(
        &saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: None,
        },
    );
    assert_eq!(status(&releasing.saga), "releasing_hold");
    assert_eq!(releasing.saga.compensation_attempts, 0);
    let failed = apply(&releasing.saga, void_failed());
    assert_eq!(failed.saga.compensation_attempts, 1);
    assert_eq!(scheduled(&failed).1, secs(5), "the void's first retry");

    // The void succeeds after a failure: the saga fails cleanly, budget reset.
    let retried = apply(&failed.saga, retry_timer(key(Step::Void, 1))).saga;
    let told = apply(
        &retried,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert!(matches!(
        &told.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::CaptureFailed
            },
            ..
        }
    ));
    assert_eq!(told.saga.compensation_attempts, 0);

    // A void before a re-search: the new epoch starts with a fresh budget.
    let research = apply(
        &ordering(),
        OrderFailed {
            idempotency_key: key(Step::Order, 1),
            reason: OrderFailureReason::OfferExpired,
            detail: "gone".into(),
        },
    );
    assert!(matches!(
        &research.saga.phase,
        Phase::ReleasingHold {
            then: AfterRelease::Research,
            ..
        }
    ));
    let failed = apply(&research.saga, void_failed());
    let searching = apply(
        &failed.saga,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert_eq!(
        searching.saga.phase,
        Phase::Searching {
            key: key(Step::Search, 2)
        }
    );
    assert_eq!(searching.saga.compensation_attempts, 0);
    assert_eq!(
        try_apply(&searching.saga, retry_timer(key(Step::Void, 1))),
        Err(DecideError::StaleTimer {
            key: key(Step::Void, 1),
            status: "searching"
        }),
        "the old epoch's retry is stale"
    );
}

#[test]
fn a_late_compensation_failure_while_outcome_unknown_is_retried() {
    let releasing = releasing_hold();
    let unknown = outcome_unknown(&releasing, Step::Void);
    let failed = apply(&unknown, void_failed());
    assert_eq!(failed.saga.phase, releasing.phase);
    assert_eq!(failed.saga.compensation_attempts, 1);
    assert_eq!(
        scheduled(&failed).0,
        SagaTimer::RetryCompensation {
            idempotency_key: key(Step::Void, 1)
        }
    );
}

// ---------------------------------------------------------------------------
// Stale timers

#[test]
fn timers_for_another_step_or_that_do_not_fit_the_phase_are_stale() {
    let stale = |saga: &Saga, timer: TimerFired, status: &'static str| {
        let expected = timer.timer.idempotency_key().clone();
        let result = try_apply(saga, timer);
        assert_eq!(
            result,
            Err(DecideError::StaleTimer {
                key: expected,
                status
            })
        );
        assert_eq!(result.unwrap_err().code(), "stale_timer");
    };
    let ordering = ordering();
    // Another step's key.
    stale(
        &ordering,
        recheck_timer(key(Step::Authorize, 1)),
        "ordering",
    );
    stale(&ordering, recheck_timer(key(Step::Order, 2)), "ordering");
    stale(&ordering, retry_timer(key(Step::Void, 1)), "ordering");
    // The right key, but nothing to re-check or retry.
    stale(&ordering, recheck_timer(key(Step::Order, 1)), "ordering");
    stale(&ordering, retry_timer(key(Step::Order, 1)), "ordering");
    stale(
        &releasing_hold(),
        recheck_timer(key(Step::Void, 1)),
        "releasing_hold",
    );
    stale(
        &cancelling_order(),
        recheck_timer(key(Step::Cancel, 1)),
        "cancelling_order",
    );
    // While the outcome is unknown, only the re-check is due.
    let unknown_void = outcome_unknown(&releasing_hold(), Step::Void);
    stale(
        &unknown_void,
        retry_timer(key(Step::Void, 1)),
        "outcome_unknown",
    );
    stale(
        &unknown_void,
        recheck_timer(key(Step::Order, 1)),
        "outcome_unknown",
    );
    // A second timer for a re-check that has already happened.
    let unknown_order = outcome_unknown(&ordering, Step::Order);
    let rechecked = apply(&unknown_order, recheck_timer(key(Step::Order, 1))).saga;
    stale(&rechecked, recheck_timer(key(Step::Order, 1)), "ordering");
}

// ---------------------------------------------------------------------------
// Operators

#[test]
fn an_operator_retry_resends_each_stuck_step_with_fresh_budgets() {
    for Waiting {
        status: name,
        step,
        entry,
        ..
    } in waiting_phases()
    {
        if step == Step::Notify {
            continue; // never stuck: settled as not sent
        }
        let mut stuck = stuck_by_rechecks(&entry.saga, step);
        stuck.compensation_attempts = 3;
        let retry = apply(&stuck, retry_request());
        assert_eq!(
            retry.saga,
            Saga {
                rechecks: 0,
                compensation_attempts: 0,
                ..entry.saga.clone()
            },
            "{name}: back to the step"
        );
        assert_eq!(
            sends(&retry),
            sends(&entry),
            "{name}: the same command with the same key"
        );

        // The budget is fresh: the next unknown waits the base delay again.
        let again = apply(&retry.saga, unknown(key(step, 1), step));
        assert_eq!(status(&again.saga), "outcome_unknown", "{name}");
        assert_eq!(again.saga.rechecks, 1);
        assert_eq!(scheduled(&again).1, secs(5));
    }
}

#[test]
fn an_operator_retry_of_a_compensation_gets_a_fresh_attempt_budget() {
    let entry = enter_releasing_hold();
    let mut saga = entry.saga.clone();
    saga.compensation_attempts = policy().max_compensation_attempts - 1;
    let stuck = apply(&saga, void_failed()).saga;
    assert_eq!(status(&stuck), "stuck");

    let retry = apply(&stuck, retry_request());
    assert_eq!(retry.saga.phase, entry.saga.phase);
    assert_eq!(retry.saga.compensation_attempts, 0);
    assert_eq!(retry.effects, entry.effects, "the same void, same key");

    let failed = apply(&retry.saga, void_failed());
    assert_eq!(
        status(&failed.saga),
        "releasing_hold",
        "not stuck again at once"
    );
    assert_eq!(failed.saga.compensation_attempts, 1);
    assert_eq!(scheduled(&failed).1, secs(5));

    let entry = enter_cancelling_order();
    let mut saga = entry.saga.clone();
    saga.compensation_attempts = policy().max_compensation_attempts - 1;
    let stuck = apply(&saga, cancel_failed()).saga;
    let retry = apply(&stuck, retry_request());
    assert_eq!(retry.saga.phase, entry.saga.phase);
    assert_eq!(retry.effects, entry.effects, "the same cancel, same key");
}

#[test]
fn a_retried_saga_can_still_finish() {
    let stuck = stuck_by_rechecks(&ordering(), Step::Order);
    let ordering = apply(&stuck, retry_request()).saga;
    let capturing = apply(
        &ordering,
        OrderCreated {
            idempotency_key: key(Step::Order, 1),
            order_id: "ord_1".into(),
            booking_reference: "RZPNX8".into(),
            amount: usd(40000),
        },
    )
    .saga;
    assert_eq!(capturing.phase, super::fixtures::capturing().phase);
}

#[test]
fn a_retry_with_nothing_to_resume_is_refused() {
    let mut saga = ordering();
    saga.phase = Phase::Stuck {
        problem: "legacy".into(),
        hold: Some(hold()),
        order: None,
        resume: None,
    };
    let result = try_apply(&saga, retry_request());
    assert_eq!(result, Err(DecideError::NothingToRetry));
    assert_eq!(result.unwrap_err().code(), "nothing_to_retry");
    let aborted = apply(&saga, abort_request());
    assert_eq!(
        aborted.saga.phase,
        Phase::Aborted {
            problem: "legacy".into(),
            operator: "ops-alice".into(),
            reason: "voided by hand in the Stripe dashboard".into(),
        }
    );
}

#[test]
fn an_operator_abort_ends_the_stuck_saga_for_good() {
    let stuck = stuck_by_rechecks(&capturing(), Step::Capture);
    let Phase::Stuck { problem, .. } = &stuck.phase else {
        panic!()
    };
    let aborted = apply(&stuck, abort_request());
    assert_eq!(
        aborted.saga,
        Saga {
            phase: Phase::Aborted {
                problem: problem.clone(),
                operator: "ops-alice".into(),
                reason: "voided by hand in the Stripe dashboard".into(),
            },
            ..stuck.clone()
        }
    );
    assert!(
        aborted.effects.is_empty(),
        "the operator settled it by hand"
    );
    assert_eq!(status(&aborted.saga), "aborted");
    assert!(aborted.saga.phase.is_terminal());

    for message in [
        Message::from(retry_request()),
        abort_request().into(),
        sample(MessageType::PaymentCaptured, &key(Step::Capture, 1)),
        unknown(key(Step::Capture, 1), Step::Capture).into(),
    ] {
        let message_type = message.message_type();
        assert_eq!(
            try_apply(&aborted.saga, message),
            Err(DecideError::IllegalTransition {
                status: "aborted",
                message_type
            })
        );
    }
}

#[test]
fn a_stuck_saga_ignores_everything_but_the_operator() {
    let stuck = stuck_by_rechecks(&ordering(), Step::Order);
    for timer in [
        recheck_timer(key(Step::Order, 1)),
        retry_timer(key(Step::Order, 1)),
    ] {
        // Its own timers are stale: acknowledged, nothing moves.
        assert_eq!(
            try_apply(&stuck, timer),
            Err(DecideError::StaleTimer {
                key: key(Step::Order, 1),
                status: "stuck"
            })
        );
    }
    for message in [
        sample(MessageType::OrderCreated, &key(Step::Order, 1)),
        unknown(key(Step::Order, 1), Step::Order).into(),
    ] {
        let message_type = message.message_type();
        assert_eq!(
            try_apply(&stuck, message),
            Err(DecideError::IllegalTransition {
                status: "stuck",
                message_type
            })
        );
    }
}

#[test]
fn retry_and_abort_are_refused_unless_the_saga_is_stuck() {
    let mut sagas: Vec<Saga> = waiting_phases().into_iter().map(|w| w.entry.saga).collect();
    sagas.extend([booked(), failed()]);
    sagas.push(
        apply(
            &stuck_by_rechecks(&ordering(), Step::Order),
            abort_request(),
        )
        .saga,
    );
    for saga in sagas {
        for message in [Message::from(retry_request()), abort_request().into()] {
            let message_type = message.message_type();
            assert_eq!(
                try_apply(&saga, message),
                Err(DecideError::IllegalTransition {
                    status: status(&saga),
                    message_type
                })
            );
        }
    }
    // While the outcome is unknown they are refused too (the status the
    // error names is checked in `bugs`).
    let unknown = outcome_unknown(&ordering(), Step::Order);
    for message in [Message::from(retry_request()), abort_request().into()] {
        assert!(matches!(
            try_apply(&unknown, message),
            Err(DecideError::IllegalTransition { .. })
        ));
    }
}

// ---------------------------------------------------------------------------
// Stored state

#[test]
fn recovery_phases_survive_the_database() {
    let unknown = outcome_unknown(&capturing(), Step::Capture);
    let stuck = stuck_by_rechecks(&cancelling_order(), Step::Cancel);
    let aborted = apply(&stuck, abort_request()).saga;
    for saga in [unknown.clone(), stuck, aborted] {
        let json = serde_json::to_value(&saga).unwrap();
        assert_eq!(json["phase"]["status"], status(&saga));
        let back: Saga = serde_json::from_value(json).unwrap();
        assert_eq!(back, saga);
    }
    let json = serde_json::to_value(&unknown).unwrap();
    assert_eq!(json["phase"]["waiting"]["status"], "capturing");
    assert_eq!(json["rechecks"], 1);
}

#[test]
fn a_saga_stored_before_recovery_loads_as_stuck_without_resume() {
    let mut json = serde_json::to_value(ordering()).unwrap();
    let object = json.as_object_mut().unwrap();
    object.remove("rechecks");
    object.remove("compensation_attempts");
    object.insert("order_rechecks".into(), 4.into());
    object.insert(
        "phase".into(),
        serde_json::json!({
            "status": "needs_attention",
            "problem": "hold could not be released: api down",
            "hold": serde_json::to_value(hold()).unwrap(),
            "order": null,
        }),
    );
    let saga: Saga = serde_json::from_value(json).unwrap();
    assert_eq!(saga.rechecks, 4);
    assert_eq!(saga.compensation_attempts, 0);
    assert_eq!(
        saga.phase,
        Phase::Stuck {
            problem: "hold could not be released: api down".into(),
            hold: Some(hold()),
            order: None,
            resume: None,
        }
    );
    assert_eq!(
        try_apply(&saga, retry_request()),
        Err(DecideError::NothingToRetry)
    );
}

// ---------------------------------------------------------------------------
// Known bugs in the decision code: these assert the intended behaviour and
// were found while writing these tests; they guard the fixes.

mod bugs {
    use super::*;

    /// `rechecks` counts the re-checks of the *current* step, but only
    /// `forward::authorized` and a re-search reset it: a step that used up
    /// its re-checks hands an exhausted budget to the next step.
    #[test]
    fn the_recheck_budget_is_per_step() {
        let mut saga = ordering();
        for _ in 0..policy().max_rechecks {
            let waiting = apply(&saga, unknown(key(Step::Order, 1), Step::Order));
            saga = apply(&waiting.saga, recheck_timer(key(Step::Order, 1))).saga;
        }
        let capturing = apply(
            &saga,
            OrderCreated {
                idempotency_key: key(Step::Order, 1),
                order_id: "ord_1".into(),
                booking_reference: "RZPNX8".into(),
                amount: usd(40000),
            },
        )
        .saga;
        assert_eq!(capturing.rechecks, 0);
        let waiting = apply(&capturing, unknown(key(Step::Capture, 1), Step::Capture));
        assert_eq!(status(&waiting.saga), "outcome_unknown");
        assert_eq!(scheduled(&waiting).1, secs(5));
    }

    /// A message that is illegal while the outcome is unknown is passed on
    /// to the waiting phase, which refuses it in its own name.
    #[test]
    fn an_illegal_message_while_outcome_unknown_names_that_status() {
        let unknown = outcome_unknown(&ordering(), Step::Order);
        for message in [
            Message::from(retry_request()),
            sample(MessageType::PaymentCaptured, &key(Step::Order, 1)),
            sample(MessageType::CreateOrder, &key(Step::Order, 1)),
        ] {
            let message_type = message.message_type();
            assert_eq!(
                try_apply(&unknown, message),
                Err(DecideError::IllegalTransition {
                    status: "outcome_unknown",
                    message_type
                })
            );
        }
    }

    /// A late reply while the outcome is unknown can finish the saga (the
    /// notification step does so always); the re-check timer still fires
    /// and must be dropped as stale, not dead-lettered as illegal.
    #[test]
    fn a_timer_after_the_saga_finished_is_stale() {
        let unknown = outcome_unknown(&notifying_booked(), Step::Notify);
        let booked = apply(
            &unknown,
            NotificationSent {
                idempotency_key: key(Step::Notify, 1),
                email_id: "em".into(),
            },
        )
        .saga;
        assert_eq!(status(&booked), "booked");
        assert_eq!(
            try_apply(&booked, recheck_timer(key(Step::Notify, 1))),
            Err(DecideError::StaleTimer {
                key: key(Step::Notify, 1),
                status: "booked"
            })
        );
    }
}

#[test]
fn an_email_whose_outcome_stays_unknown_is_settled_as_not_sent() {
    let mut saga = notifying_failed();
    saga.rechecks = policy().max_rechecks;
    let done = apply(&saga, unknown(key(Step::Notify, 1), Step::Notify));
    assert!(
        matches!(
            done.saga.phase,
            Phase::Failed {
                notified: false,
                ..
            }
        ),
        "{:?}",
        done.saga.phase
    );
    assert!(done.effects.is_empty());
}
