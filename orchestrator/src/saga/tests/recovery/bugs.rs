//! Known bugs in the decision code: these assert the intended behaviour and
//! were found while writing these tests; they guard the fixes.

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
