//! Who sent a message, and whether to believe it.
//!
//! Outgoing ([`stamp`]): every message carries its sender's broker user in
//! `user_id` (RabbitMQ refuses a `user_id` other than the connection's
//! login), the same user in the `x-autobook-sender` header, and a signature
//! of that user and the body ([`crate::signing`]). A message passed on
//! unchanged ([`relay`]: a retry, a dead letter, a replay) keeps the
//! original sender's header and signature and carries the relaying
//! identity's `user_id`.
//!
//! Incoming ([`check`], then [`check_type`] once decoded), in order:
//!
//! 1. `user_id` names one of autobook's identities, else `forbidden_sender`;
//! 2. a message whose `x-autobook-sender` names someone else was relayed:
//!    only the queue's own consumer and ops relay (else `forbidden_sender`),
//!    and the header names the sender;
//! 3. the signature matches the sender and the body, else `unsigned` or
//!    `bad_signature`;
//! 4. the sender may send the decoded message's type
//!    ([`autobook_contracts::senders`]), else `forbidden_sender`.
//!
//! Reasons name roles, queues and message types, never anything the
//! message holds.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

use autobook_contracts::senders::Identity;
use autobook_contracts::topology::headers;
use autobook_contracts::{DecodeError, MessageType, QueueRole};

use crate::properties::header_text;
use crate::signing::{MessageKeys, SignatureError};

/// Why a delivery's sender is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the message names no sender (it has no user_id)")]
    NoSender,
    #[error("the message was sent by a broker user that is none of autobook's roles")]
    UnknownSender,
    #[error("the {relay} role may not pass on another role's message onto the {} queue", queue.as_str())]
    NotARelay { relay: Identity, queue: QueueRole },
    #[error("the message names as its sender a broker user that is none of autobook's roles")]
    UnknownOriginalSender,
    #[error("{message_type} may not come from the {sender} role")]
    NotAllowed {
        sender: Identity,
        message_type: MessageType,
    },
    #[error(transparent)]
    Signature(SignatureError),
}

impl Refusal {
    /// Every code [`Refusal::code`] gives.
    pub const CODES: [&'static str; 3] = ["forbidden_sender", "unsigned", "bad_signature"];

    /// The dead-letter code: `forbidden_sender`, `unsigned` or `bad_signature`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoSender
            | Refusal::UnknownSender
            | Refusal::NotARelay { .. }
            | Refusal::UnknownOriginalSender
            | Refusal::NotAllowed { .. } => "forbidden_sender",
            Refusal::Signature(error) => error.code(),
        }
    }
}

/// A delivery a consumer does not hand to its handler.
#[derive(Debug, thiserror::Error)]
pub enum Rejected {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Unopenable(#[from] autobook_vault::BodyError),
    #[error(transparent)]
    Undecodable(#[from] DecodeError),
}

impl Rejected {
    /// The dead-letter code.
    pub fn code(&self) -> &'static str {
        match self {
            Rejected::Refused(refusal) => refusal.code(),
            Rejected::Unopenable(error) => error.code(),
            Rejected::Undecodable(error) => error.code(),
        }
    }
}

fn text(value: &str) -> AMQPValue {
    AMQPValue::LongString(value.to_owned().into())
}

/// `properties` of a message `me` sends with `body`: `user_id`, the sender
/// header and the signature.
pub fn stamp(
    properties: BasicProperties,
    me: Identity,
    keys: &MessageKeys,
    body: &[u8],
) -> BasicProperties {
    let mut table = properties.headers().clone().unwrap_or_default();
    table.insert(headers::SENDER.into(), text(me.user()));
    table.insert(headers::SIGNATURE.into(), text(&keys.sign(me.user(), body)));
    properties
        .with_user_id(me.user().into())
        .with_headers(table)
}

/// `properties` of a message `me` passes on unchanged: its own `user_id`
/// (RabbitMQ accepts no other), the original sender named in the header
/// (taken from the original `user_id` when the header is missing) and the
/// signature as they were.
pub fn relay(properties: BasicProperties, me: Identity) -> BasicProperties {
    let original = properties.user_id().as_ref().map(|u| u.as_str().to_owned());
    let mut table: FieldTable = properties.headers().clone().unwrap_or_default();
    if header_text(&properties, headers::SENDER).is_none()
        && let Some(original) = original
    {
        table.insert(headers::SENDER.into(), text(&original));
    }
    properties
        .with_user_id(me.user().into())
        .with_headers(table)
}

/// The sender of a delivery taken from `queue`, once its identity and
/// signature check out (steps 1 to 3 above).
pub fn check(
    properties: &BasicProperties,
    body: &[u8],
    queue: QueueRole,
    keys: &MessageKeys,
) -> Result<Identity, Refusal> {
    let user = properties.user_id().as_ref().ok_or(Refusal::NoSender)?;
    let publisher = Identity::from_user(user.as_str()).ok_or(Refusal::UnknownSender)?;
    let sender = match header_text(properties, headers::SENDER) {
        Some(named) if named != publisher.user() => {
            if !publisher.relays_to(queue) {
                return Err(Refusal::NotARelay {
                    relay: publisher,
                    queue,
                });
            }
            Identity::from_user(&named).ok_or(Refusal::UnknownOriginalSender)?
        }
        Some(_) | None => publisher,
    };
    let signature = header_text(properties, headers::SIGNATURE);
    keys.verify(signature.as_deref(), sender.user(), body)
        .map_err(Refusal::Signature)?;
    Ok(sender)
}

/// Whether `sender` may send messages of `message_type` (step 4).
pub fn check_type(sender: Identity, message_type: MessageType) -> Result<(), Refusal> {
    if sender.may_send(message_type) {
        Ok(())
    } else {
        Err(Refusal::NotAllowed {
            sender,
            message_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"{\"message_type\":\"payment.refund\"}";

    fn keys() -> MessageKeys {
        MessageKeys::parse("k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap()
    }

    fn sent_by(me: Identity) -> BasicProperties {
        stamp(BasicProperties::default(), me, &keys(), BODY)
    }

    #[test]
    fn a_stamped_message_names_and_proves_its_sender() {
        let properties = sent_by(Identity::Orchestrator);
        assert_eq!(
            properties.user_id().as_ref().map(|u| u.as_str()),
            Some("autobook-orchestrator")
        );
        assert_eq!(
            check(&properties, BODY, QueueRole::Payment, &keys()),
            Ok(Identity::Orchestrator)
        );
        assert_eq!(
            check_type(Identity::Orchestrator, MessageType::RefundPayment),
            Ok(())
        );
    }

    #[test]
    fn a_message_without_a_known_user_is_forbidden() {
        let signed = sent_by(Identity::Orchestrator);
        let none = signed.clone().with_user_id("".into());
        let cases = [
            (BasicProperties::default(), Refusal::NoSender),
            (
                signed.clone().with_user_id("guest".into()),
                Refusal::UnknownSender,
            ),
            (none, Refusal::UnknownSender),
        ];
        for (properties, refusal) in cases {
            let got = check(&properties, BODY, QueueRole::Payment, &keys());
            assert_eq!(got, Err(refusal));
            assert_eq!(refusal.code(), "forbidden_sender");
        }
    }

    #[test]
    fn unsigned_and_tampered_messages_are_refused() {
        let unsigned = BasicProperties::default().with_user_id("autobook-orchestrator".into());
        let refused = check(&unsigned, BODY, QueueRole::Payment, &keys()).unwrap_err();
        assert_eq!(refused.code(), "unsigned");
        let signed = sent_by(Identity::Orchestrator);
        let refused = check(&signed, b"{}", QueueRole::Payment, &keys()).unwrap_err();
        assert_eq!(refused, Refusal::Signature(SignatureError::Mismatch));
        assert_eq!(refused.code(), "bad_signature");
        let other_keys = MessageKeys::generate("k1").unwrap();
        let refused = check(&signed, BODY, QueueRole::Payment, &other_keys).unwrap_err();
        assert_eq!(refused.code(), "bad_signature");
    }

    #[test]
    fn a_signature_made_for_one_sender_does_not_serve_another() {
        // Signed as the notify worker, then claimed for the orchestrator.
        let notify = sent_by(Identity::Notify);
        let mut table = notify.headers().clone().unwrap();
        table.insert(headers::SENDER.into(), text("autobook-orchestrator"));
        let claimed = notify.clone().with_headers(table);
        let relayed = relay(claimed.clone(), Identity::Payment);
        assert_eq!(
            check(&relayed, BODY, QueueRole::Payment, &keys()),
            Err(Refusal::Signature(SignatureError::Mismatch))
        );
        // And the notify worker cannot relay at all.
        assert_eq!(
            check(&claimed, BODY, QueueRole::Payment, &keys()),
            Err(Refusal::NotARelay {
                relay: Identity::Notify,
                queue: QueueRole::Payment
            })
        );
    }

    #[test]
    fn relays_keep_the_sender_and_signature_and_only_consumers_and_ops_relay() {
        let original = sent_by(Identity::Orchestrator);
        let retried = relay(original.clone(), Identity::Payment);
        assert_eq!(
            retried.user_id().as_ref().map(|u| u.as_str()),
            Some("autobook-payment")
        );
        assert_eq!(
            check(&retried, BODY, QueueRole::Payment, &keys()),
            Ok(Identity::Orchestrator)
        );
        let replayed = relay(retried, Identity::Ops);
        assert_eq!(
            check(&replayed, BODY, QueueRole::Payment, &keys()),
            Ok(Identity::Orchestrator)
        );
        let by_order = relay(original, Identity::Order);
        assert_eq!(
            check(&by_order, BODY, QueueRole::Payment, &keys()).map_err(|r| r.code()),
            Err("forbidden_sender")
        );
    }

    #[test]
    fn a_relayed_message_that_lacked_the_header_keeps_its_first_user() {
        let forged = BasicProperties::default().with_user_id("autobook-notify".into());
        let dead = relay(forged, Identity::Payment);
        assert_eq!(
            header_text(&dead, headers::SENDER).as_deref(),
            Some("autobook-notify")
        );
        let mut table = dead.headers().clone().unwrap();
        table.insert(headers::SENDER.into(), text("mallory"));
        let renamed = dead.with_headers(table);
        assert_eq!(
            check(&renamed, BODY, QueueRole::Payment, &keys()),
            Err(Refusal::UnknownOriginalSender)
        );
    }

    #[test]
    fn types_are_checked_against_the_allow_list() {
        let refusal = check_type(Identity::Notify, MessageType::PaymentDeclined).unwrap_err();
        assert_eq!(refusal.code(), "forbidden_sender");
        assert_eq!(
            refusal.to_string(),
            "payment.declined may not come from the notify role"
        );
        assert!(check_type(Identity::Payment, MessageType::PaymentDeclined).is_ok());
        assert!(check_type(Identity::Ops, MessageType::RefundPayment).is_ok());
        assert!(check_type(Identity::Gateway, MessageType::RefundPayment).is_err());
    }
}
