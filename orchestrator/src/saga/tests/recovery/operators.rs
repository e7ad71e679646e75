//! Stale timers, and what an operator can do with a stuck saga: retry
//! with fresh budgets, or abort.

use super::*;

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
    assert_eq!(capturing.phase, super::super::fixtures::capturing().phase);
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
