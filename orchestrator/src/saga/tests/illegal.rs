//! Every (phase, message) pair outside the transition table is refused
//! with a typed error and leaves the saga unchanged; replies to another
//! step are refused as stale.

use autobook_contracts::events::*;
use autobook_contracts::{IdempotencyKey, MessageType, Step};

use super::fixtures::*;
use crate::saga::state::Saga;
use crate::saga::{DecideError, decide};

/// The legal message types for each sample phase.
fn table() -> Vec<(Saga, Vec<MessageType>)> {
    let releasing = apply(
        &ordering(),
        OrderFailed {
            idempotency_key: key(Step::Order, 1),
            reason: OrderFailureReason::Permanent,
            detail: "x".into(),
        },
    )
    .saga;
    let cancelling = apply(
        &capturing(),
        CaptureFailed {
            idempotency_key: key(Step::Capture, 1),
            payment_intent_id: "pi_1".into(),
            detail: "x".into(),
        },
    )
    .saga;
    let booked = apply(
        &notifying_booked(),
        NotificationSent {
            idempotency_key: key(Step::Notify, 1),
            email_id: "em".into(),
        },
    )
    .saga;
    vec![
        (
            searching(),
            vec![MessageType::OffersFound, MessageType::SearchFailed],
        ),
        (
            authorizing(),
            vec![
                MessageType::PaymentAuthorized,
                MessageType::PaymentDeclined,
                MessageType::PaymentFailed,
            ],
        ),
        (
            ordering(),
            vec![
                MessageType::OrderCreated,
                MessageType::OrderFailed,
                MessageType::TimerFired,
            ],
        ),
        (
            capturing(),
            vec![MessageType::PaymentCaptured, MessageType::CaptureFailed],
        ),
        (
            releasing,
            vec![MessageType::HoldVoided, MessageType::VoidFailed],
        ),
        (
            cancelling,
            vec![MessageType::OrderCancelled, MessageType::CancelFailed],
        ),
        (
            notifying_booked(),
            vec![
                MessageType::NotificationSent,
                MessageType::NotificationFailed,
            ],
        ),
        (booked, vec![]),
    ]
}

#[test]
fn only_the_transition_table_is_accepted() {
    for (saga, legal) in table() {
        let pending = saga
            .phase
            .pending_key()
            .cloned()
            .unwrap_or_else(|| key(Step::Notify, 1));
        for message_type in MessageType::ALL {
            let message = sample(*message_type, &pending);
            let result = decide(&saga, &message, now(), &policy());
            if legal.contains(message_type) {
                assert!(
                    result.is_ok(),
                    "{message_type} refused while {}: {result:?}",
                    status(&saga)
                );
            } else if *message_type == MessageType::TripRequested {
                assert_eq!(result, Err(DecideError::AlreadyStarted));
            } else {
                assert_eq!(
                    result,
                    Err(DecideError::IllegalTransition {
                        status: status(&saga),
                        message_type: *message_type
                    }),
                    "{message_type} accepted while {}",
                    status(&saga)
                );
            }
        }
    }
}

#[test]
fn a_reply_to_another_step_is_stale() {
    let saga = ordering();
    let old: IdempotencyKey = key(Step::Authorize, 1);
    let result = decide(
        &saga,
        &sample(MessageType::OrderCreated, &old),
        now(),
        &policy(),
    );
    assert_eq!(
        result,
        Err(DecideError::StaleReply {
            expected: Some(key(Step::Order, 1)),
            got: old
        })
    );
    let other_epoch = key(Step::Order, 2);
    assert!(matches!(
        decide(
            &saga,
            &sample(MessageType::OrderFailed, &other_epoch),
            now(),
            &policy()
        ),
        Err(DecideError::StaleReply { .. })
    ));
}

#[test]
fn errors_have_stable_codes() {
    assert_eq!(DecideError::AlreadyStarted.code(), "saga_already_exists");
    assert_eq!(
        DecideError::StaleReply {
            expected: None,
            got: key(Step::Order, 1)
        }
        .code(),
        "stale_reply"
    );
    assert_eq!(
        DecideError::IllegalTransition {
            status: "booked",
            message_type: MessageType::OffersFound
        }
        .code(),
        "illegal_transition"
    );
}
