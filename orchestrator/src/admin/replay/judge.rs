//! Whether a dead letter can succeed now (pure): judged against its
//! saga as stored, and the properties it goes back to the broker with.
//!
//! - the body must decode as an envelope, and belong on the queue it came
//!   from;
//! - an event (for the orchestrator) must not be in the inbox already;
//!   `trip.requested` needs a saga that does not exist yet (and a valid
//!   trip); any other event must be accepted by the pure decision on the
//!   stored saga;
//! - a command (for a worker) must carry the idempotency key the saga's
//!   current phase waits on.

use chrono::{DateTime, Utc};
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde_json::Value;
use uuid::Uuid;

use autobook_contracts::topology::CONTENT_TYPE;
use autobook_contracts::{Envelope, Message, MessageKind, QueueRole};

use crate::saga::{self, Policy, Saga};

/// What the stores say about the saga of a message to replay.
#[derive(Debug, Clone)]
pub struct SagaView {
    /// The orchestrator handled this message id already.
    pub in_inbox: bool,
    /// The saga, if it exists (Err: its state is unreadable).
    pub saga: Option<Result<Saga, String>>,
    /// What the saga's records say of the message's cause.
    pub cause: saga::Cause,
}

/// Whether a decoded dead letter can succeed now (pure). `role` is the
/// queue it was dead-lettered from. Err holds the reason for refusing.
pub fn judge(
    envelope: &Envelope,
    role: QueueRole,
    view: &SagaView,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let message_type = envelope.message_type();
    let consumer = message_type.consumer();
    if consumer != role {
        return Err(format!(
            "{message_type} belongs on the {} queue, not {}: it would be refused there again",
            consumer.as_str(),
            role.as_str()
        ));
    }
    let saga_id = envelope.saga_id;
    match message_type.kind() {
        MessageKind::Event => {
            if view.in_inbox {
                return Err(format!(
                    "already handled: message {} is in the orchestrator's inbox",
                    envelope.message_id
                ));
            }
            match (&envelope.message, &view.saga) {
                (Message::TripRequested(_), Some(_)) => {
                    Err(format!("stale: saga {saga_id} exists already"))
                }
                (Message::TripRequested(trip), None) => saga::start(
                    saga_id,
                    trip.clone(),
                    now,
                    &Policy::default(),
                    &saga::Admission::Open,
                )
                .map(|_| ())
                .map_err(|e| format!("the trip is invalid: {e}")),
                (_, None) => Err(format!(
                    "there is still no saga {saga_id}: it would be dead-lettered again"
                )),
                (_, Some(Err(corrupt))) => Err(format!("the saga cannot be read: {corrupt}")),
                (message, Some(Ok(saga))) => {
                    saga::causation::check(message, &view.cause)
                        .map_err(|e| format!("refused ({}): {e}", e.code()))?;
                    saga::decide(saga, message, now, &Policy::default())
                        .map(|_| ())
                        .map_err(|e| format!("stale ({}): {e}", e.code()))
                }
            }
        }
        MessageKind::Command => {
            let saga = match &view.saga {
                None => return Err(format!("there is no saga {saga_id}")),
                Some(Err(corrupt)) => return Err(format!("the saga cannot be read: {corrupt}")),
                Some(Ok(saga)) => saga,
            };
            let key = envelope.message.idempotency_key();
            let pending = saga.phase.pending_key();
            if key.is_some() && key == pending {
                return Ok(());
            }
            let waits = pending.map_or_else(
                || "waits on no command".to_owned(),
                |k| format!("waits on {k}"),
            );
            Err(format!(
                "stale: the saga is {} and {waits}; this command is for {}",
                saga.phase.status(),
                key.map_or("no step", |k| k.as_str())
            ))
        }
    }
}

/// The properties the message was first published with: as archived, or
/// rebuilt from the archived columns when they cannot be read back.
pub fn original_properties(
    stored: Option<&Value>,
    content_type: Option<&str>,
    message_id: Option<Uuid>,
    saga_id: Option<Uuid>,
    message_type: Option<&str>,
    text_headers: &Value,
) -> BasicProperties {
    // Every property is optional, so anything deserializes: an empty result
    // means the stored value was not what the archiver wrote.
    if let Some(properties) = stored
        .and_then(|v| serde_json::from_value::<BasicProperties>(v.clone()).ok())
        .filter(|p| *p != BasicProperties::default())
    {
        return properties;
    }
    let mut properties = BasicProperties::default()
        .with_content_type(content_type.unwrap_or(CONTENT_TYPE).into())
        .with_delivery_mode(2);
    if let Some(id) = message_id {
        properties = properties.with_message_id(id.to_string().into());
    }
    if let Some(id) = saga_id {
        properties = properties.with_correlation_id(id.to_string().into());
    }
    if let Some(t) = message_type {
        properties = properties.with_type(t.into());
    }
    let mut headers = FieldTable::default();
    if let Value::Object(fields) = text_headers {
        for (name, value) in fields {
            if let Some(text) = value.as_str() {
                headers.insert(
                    name.as_str().into(),
                    AMQPValue::LongString(text.to_owned().into()),
                );
            }
        }
    }
    properties.with_headers(headers)
}

/// Dead-letter codes given to a message refused for its sender or its
/// signature: replayed, it keeps the signature it came with, and is judged
/// as it was the first time.
const REFUSED_FOR_SENDER: &[&str] = &["forbidden_sender", "unsigned", "bad_signature"];

/// The replay's properties: a message refused for its sender or signature
/// keeps what it came with; any other was admitted (its first sender's
/// signature checked) before it was refused, so its first sender's
/// signature is made again over the body as it goes back (its personal
/// fields sealed afresh, a body refused for plaintext ones sealed now).
pub(super) fn vouched_for(
    properties: lapin::BasicProperties,
    code: &str,
    body: &[u8],
    keys: &autobook_broker::signing::MessageKeys,
) -> lapin::BasicProperties {
    use autobook_contracts::topology::headers;
    if REFUSED_FOR_SENDER.contains(&code) {
        return properties;
    }
    let Some(sender) = autobook_broker::properties::header_text(&properties, headers::SENDER)
    else {
        return properties;
    };
    let mut table = properties.headers().clone().unwrap_or_default();
    table.insert(
        headers::SIGNATURE.into(),
        lapin::types::AMQPValue::LongString(keys.sign(&sender, body).into()),
    );
    properties.with_headers(table)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::saga::Phase;
    use crate::saga::state::{AfterRelease, Hold};
    use autobook_broker::properties::for_replay;
    use autobook_contracts::commands::VoidHold;
    use autobook_contracts::events::{HoldVoided, RetryRequested};
    use autobook_contracts::money::{Currency, Money};
    use autobook_contracts::topology::headers;
    use autobook_contracts::{IdempotencyKey, Step};

    use super::*;
    use autobook_contracts::fixtures;

    fn hold() -> Hold {
        Hold {
            payment_intent_id: "pi_1".into(),
            amount: Money::new(10_000, Currency::USD),
        }
    }

    /// A saga waiting for its hold to be released, for a valid trip.
    fn releasing(saga_id: Uuid) -> (Saga, IdempotencyKey) {
        let key = IdempotencyKey::derive(saga_id, Step::Void, 1);
        let saga: Saga = serde_json::from_value(serde_json::json!({
            "id": saga_id,
            "trip": trip_json(),
            "epoch": 1,
            "phase": Phase::ReleasingHold { key: key.clone(), hold: hold(), then: AfterRelease::Research },
        }))
        .unwrap();
        (saga, key)
    }

    /// The shared sample trip, 40 days ahead, at most 900.00 USD, for
    /// `usr_ops`.
    fn trip_json() -> Value {
        fixtures::trip_json_with(|t| {
            t["user_id"] = "usr_ops".into();
            t["departure_date"] = serde_json::json!(fixtures::days_ahead(40));
            t["max_price"]["amount_minor"] = 90000.into();
        })
    }

    /// The saga's view of a message that names as its cause a command the
    /// saga sent (recorded with no key: for any step).
    fn view(saga: Option<Saga>) -> SagaView {
        SagaView {
            in_inbox: false,
            saga: saga.map(Ok),
            cause: saga::Cause::Sent { key: None },
        }
    }

    #[test]
    fn an_event_is_replayed_only_when_the_saga_accepts_it() {
        let saga_id = Uuid::now_v7();
        let (saga, key) = releasing(saga_id);
        let voided = Envelope::new(
            saga_id,
            HoldVoided {
                idempotency_key: key,
                payment_intent_id: "pi_1".into(),
            },
        );
        let now = Utc::now();
        assert_eq!(
            judge(
                &voided,
                QueueRole::Orchestrator,
                &view(Some(saga.clone())),
                now
            ),
            Ok(())
        );
        let missing = judge(&voided, QueueRole::Orchestrator, &view(None), now).unwrap_err();
        assert!(missing.contains("no saga"), "{missing}");
        for (cause, code) in [
            (saga::Cause::Missing, "unknown_cause"),
            (saga::Cause::NotOurs, "unknown_cause"),
            (
                saga::Cause::Sent {
                    key: Some(IdempotencyKey::derive(saga_id, Step::Void, 9).to_string()),
                },
                "mismatched_cause",
            ),
        ] {
            let forged = SagaView {
                cause,
                ..view(Some(saga.clone()))
            };
            let refused = judge(&voided, QueueRole::Orchestrator, &forged, now).unwrap_err();
            assert!(
                refused.starts_with(&format!("refused ({code})")),
                "{refused}"
            );
        }
        let handled = SagaView {
            in_inbox: true,
            ..view(Some(saga.clone()))
        };
        let again = judge(&voided, QueueRole::Orchestrator, &handled, now).unwrap_err();
        assert!(again.starts_with("already handled"), "{again}");
        let old_key = IdempotencyKey::derive(saga_id, Step::Void, 0);
        let stale = Envelope::new(
            saga_id,
            HoldVoided {
                idempotency_key: old_key,
                payment_intent_id: "pi_1".into(),
            },
        );
        let refused = judge(
            &stale,
            QueueRole::Orchestrator,
            &view(Some(saga.clone())),
            now,
        )
        .unwrap_err();
        assert!(refused.starts_with("stale (stale_reply)"), "{refused}");
        let retry = Envelope::new(
            saga_id,
            RetryRequested {
                operator: "ana".into(),
                reason: "r".into(),
            },
        );
        let refused = judge(&retry, QueueRole::Orchestrator, &view(Some(saga)), now).unwrap_err();
        assert!(refused.contains("illegal_transition"), "{refused}");
    }

    #[test]
    fn a_trip_request_is_replayed_only_for_a_new_valid_saga() {
        let saga_id = Uuid::now_v7();
        let trip = serde_json::from_value(trip_json()).unwrap();
        let request = Envelope::new(saga_id, Message::TripRequested(trip));
        let now = Utc::now();
        assert_eq!(
            judge(&request, QueueRole::Orchestrator, &view(None), now),
            Ok(())
        );
        let (saga, _) = releasing(saga_id);
        let exists = judge(&request, QueueRole::Orchestrator, &view(Some(saga)), now).unwrap_err();
        assert!(exists.contains("exists already"), "{exists}");
    }

    #[test]
    fn a_command_is_replayed_only_while_its_step_is_pending() {
        let saga_id = Uuid::now_v7();
        let (saga, key) = releasing(saga_id);
        let void = |key: IdempotencyKey| {
            Envelope::new(
                saga_id,
                VoidHold {
                    idempotency_key: key,
                    payment_intent_id: "pi_1".into(),
                },
            )
        };
        let now = Utc::now();
        assert_eq!(
            judge(
                &void(key),
                QueueRole::Payment,
                &view(Some(saga.clone())),
                now
            ),
            Ok(())
        );
        let old = IdempotencyKey::derive(saga_id, Step::Void, 7);
        let stale = judge(
            &void(old.clone()),
            QueueRole::Payment,
            &view(Some(saga)),
            now,
        )
        .unwrap_err();
        assert!(
            stale.starts_with("stale: the saga is releasing_hold and waits on"),
            "{stale}"
        );
        let wrong_queue = judge(&void(old), QueueRole::Order, &view(None), now).unwrap_err();
        assert!(
            wrong_queue.contains("belongs on the payment queue"),
            "{wrong_queue}"
        );
    }

    #[test]
    fn replayed_properties_are_the_original_ones_without_dead_letter_headers() {
        let message_id = Uuid::now_v7();
        let mut table = FieldTable::default();
        table.insert(headers::SCHEMA_VERSION.into(), AMQPValue::ShortUInt(1));
        table.insert(
            headers::DEAD_LETTER_CODE.into(),
            AMQPValue::LongString("unknown_saga".to_owned().into()),
        );
        let original = BasicProperties::default()
            .with_content_type(CONTENT_TYPE.into())
            .with_message_id(message_id.to_string().into())
            .with_type("payment.voided".into())
            .with_headers(table);
        let stored = serde_json::to_value(&original).unwrap();
        let restored = original_properties(Some(&stored), None, None, None, None, &Value::Null);
        assert_eq!(restored, original);
        let replayed = for_replay(&restored);
        let names: Vec<String> = replayed
            .headers()
            .as_ref()
            .unwrap()
            .inner()
            .keys()
            .map(|k| k.as_str().to_owned())
            .collect();
        assert_eq!(names, vec![headers::SCHEMA_VERSION.to_owned()]);
        assert_eq!(
            replayed
                .message_id()
                .as_ref()
                .map(|m| m.as_str().to_owned()),
            Some(message_id.to_string())
        );

        // Unreadable archived properties: rebuilt from the columns.
        let rebuilt = original_properties(
            Some(&serde_json::json!({"nonsense": true})),
            None,
            Some(message_id),
            None,
            Some("payment.voided"),
            &serde_json::json!({"traceparent": "00-abc", "x-autobook-reason": "r"}),
        );
        assert_eq!(
            rebuilt.content_type().as_ref().map(|c| c.as_str()),
            Some(CONTENT_TYPE)
        );
        assert_eq!(
            rebuilt.kind().as_ref().map(|c| c.as_str()),
            Some("payment.voided")
        );
        let kept = for_replay(&rebuilt);
        assert_eq!(kept.headers().as_ref().unwrap().inner().len(), 1);
    }
}
