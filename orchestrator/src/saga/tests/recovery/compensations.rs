//! Failed compensations: retried with the same command, then stuck.

use super::*;

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
