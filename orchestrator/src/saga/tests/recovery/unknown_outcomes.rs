//! Unknown outcomes: wait, re-check with the same command and key, with
//! doubling pauses, until the saga is stuck; a late reply settles the step.

use super::*;

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
            super::super::fixtures::unknown(old.clone(), Step::Authorize)
        ),
        Err(DecideError::StaleReply {
            expected: Some(key(Step::Order, 1)),
            got: old,
        })
    );
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
