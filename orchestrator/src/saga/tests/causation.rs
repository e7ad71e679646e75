//! A worker's reply is taken only when it names as its cause a command the
//! saga sent for the step it answers; the saga's own messages, requests
//! and webhooks answer no command.

use autobook_contracts::{MessageKind, MessageType, Step};

use super::fixtures::*;
use crate::saga::Cause;
use crate::saga::causation::{CauseError, check, must_answer_a_command};

/// An event naming a step (by its key) that is not the saga's own timer is
/// a worker's answer to that step's command.
fn is_a_worker_answer(message_type: MessageType) -> bool {
    let sample = sample(message_type, &key(Step::Authorize, 1));
    message_type.kind() == MessageKind::Event
        && sample.idempotency_key().is_some()
        && message_type != MessageType::TimerFired
}

#[test]
fn exactly_the_worker_answers_must_name_a_cause() {
    for message_type in MessageType::ALL {
        assert_eq!(
            must_answer_a_command(*message_type),
            is_a_worker_answer(*message_type),
            "{message_type}"
        );
    }
    for answer in [MessageType::StepOutcomeUnknown, MessageType::StepDeferred] {
        assert!(must_answer_a_command(answer), "{answer}");
    }
}

#[test]
fn an_answer_is_taken_only_from_a_command_sent_for_its_step() {
    let step = key(Step::Authorize, 1);
    let sent = |key: Option<&str>| Cause::Sent {
        key: key.map(str::to_owned),
    };
    for message_type in MessageType::ALL
        .iter()
        .copied()
        .filter(|t| must_answer_a_command(*t))
    {
        let reply = sample(message_type, &step);
        assert_eq!(check(&reply, &sent(Some(step.as_str()))), Ok(()));
        // Recorded before the keys were: any step of the saga.
        assert_eq!(check(&reply, &sent(None)), Ok(()));
        let refused = check(&reply, &Cause::Missing).unwrap_err();
        assert_eq!(refused, CauseError::Missing(message_type));
        assert_eq!(refused.code(), "unknown_cause");
        let refused = check(&reply, &Cause::NotOurs).unwrap_err();
        assert_eq!(refused, CauseError::NotOurs(message_type));
        assert_eq!(refused.code(), "unknown_cause");
        let other = key(Step::Authorize, 2);
        let refused = check(&reply, &sent(Some(other.as_str()))).unwrap_err();
        assert_eq!(refused, CauseError::OtherStep(message_type));
        assert_eq!(refused.code(), "mismatched_cause");
    }
}

#[test]
fn messages_that_answer_no_command_need_no_cause() {
    for message_type in MessageType::ALL
        .iter()
        .copied()
        .filter(|t| !must_answer_a_command(*t))
    {
        let message = sample(message_type, &key(Step::Order, 1));
        assert_eq!(check(&message, &Cause::Missing), Ok(()), "{message_type}");
        assert_eq!(check(&message, &Cause::NotOurs), Ok(()), "{message_type}");
    }
}

#[test]
fn a_refusal_names_the_type_and_no_value() {
    let step = key(Step::Capture, 1);
    let reply = sample(MessageType::PaymentCaptured, &step);
    for cause in [
        Cause::Missing,
        Cause::NotOurs,
        Cause::Sent {
            key: Some(key(Step::Capture, 7).as_str().to_owned()),
        },
    ] {
        let reason = check(&reply, &cause).unwrap_err().to_string();
        assert!(reason.starts_with("payment.captured names"), "{reason}");
        assert!(!reason.contains(&saga_id().to_string()), "{reason}");
        assert!(!reason.contains("pi_1"), "{reason}");
    }
}
