//! Codec behaviour: round trips and every typed decode error.

use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::events::{NotificationSent, SagaTimer, TimerFired};
use crate::idempotency::{IdempotencyKey, Step};

fn sample() -> Envelope {
    let saga = Uuid::now_v7();
    Envelope::new(
        saga,
        NotificationSent {
            idempotency_key: IdempotencyKey::derive(saga, Step::Notify, 1),
            email_id: "em_1".into(),
        },
    )
}

fn wire(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(&sample().encode()).unwrap();
    edit(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn encode_then_decode_is_identity() {
    let original = sample();
    let decoded = Envelope::decode(&original.encode()).unwrap();
    assert_eq!(decoded, original);
    let v: Value = serde_json::from_slice(&original.encode()).unwrap();
    assert_eq!(v["message_type"], "notification.sent");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["payload"]["email_id"], "em_1");
}

#[test]
fn caused_by_keeps_saga_and_trace() {
    let cause = sample();
    let saga = cause.saga_id;
    let effect = Envelope::caused_by(
        &cause,
        TimerFired {
            timer: SagaTimer::RecheckStep {
                idempotency_key: IdempotencyKey::derive(saga, Step::Order, 1),
            },
        },
    );
    assert_eq!(effect.saga_id, saga);
    assert_eq!(effect.causation_id, Some(cause.message_id));
    assert_eq!(effect.trace.trace_id(), cause.trace.trace_id());
    assert_ne!(effect.message_id, cause.message_id);
}

#[test]
fn unknown_message_type_is_a_typed_error() {
    let err = Envelope::decode(&wire(|v| v["message_type"] = json!("trip.teleport"))).unwrap_err();
    assert_eq!(err, DecodeError::UnknownMessageType);
    assert!(!err.to_string().contains("teleport"), "{err}");
    assert_eq!(err.code(), "unknown_message_type");
}

#[test]
fn newer_schema_version_is_a_typed_error() {
    let err = Envelope::decode(&wire(|v| v["schema_version"] = json!(2))).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::UnsupportedSchemaVersion {
                version: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = Envelope::decode(&wire(|v| v["schema_version"] = json!(0))).unwrap_err();
    assert_eq!(err.code(), "unsupported_schema_version");
}

#[test]
fn payload_must_match_its_type() {
    let err = Envelope::decode(&wire(|v| v["payload"] = json!({"email_id": 5}))).unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
}

#[test]
fn envelope_fields_are_checked() {
    assert_eq!(
        Envelope::decode(b"{not json").unwrap_err().code(),
        "not_json"
    );
    assert_eq!(
        Envelope::decode(b"[]").unwrap_err().code(),
        "invalid_envelope"
    );
    let v4 = wire(|v| v["message_id"] = json!(Uuid::new_v4()));
    assert_eq!(
        Envelope::decode(&v4).unwrap_err(),
        DecodeError::InvalidEnvelope("message_id must be a UUIDv7".into())
    );
    let nil = wire(|v| v["saga_id"] = json!(Uuid::nil()));
    assert_eq!(
        Envelope::decode(&nil).unwrap_err().code(),
        "invalid_envelope"
    );
    let big = vec![b' '; MAX_MESSAGE_BYTES + 1];
    assert_eq!(Envelope::decode(&big).unwrap_err().code(), "too_large");
}

#[test]
fn an_invalid_traceparent_starts_a_new_trace() {
    let decoded = Envelope::decode(&wire(|v| v["traceparent"] = json!("garbage"))).unwrap();
    assert!(crate::trace::TraceContext::parse(&decoded.trace.traceparent, None).is_some());
}

#[test]
fn errors_do_not_quote_values() {
    let err =
        Envelope::decode(&wire(|v| v["schema_version"] = json!("amelia@example.com"))).unwrap_err();
    assert_eq!(err.code(), "invalid_envelope");
    assert!(!err.to_string().contains("amelia"), "{err}");
    let hostile = "x".repeat(10_000);
    let err = Envelope::decode(&wire(|v| v["message_type"] = json!(hostile))).unwrap_err();
    assert!(err.to_string().len() < 400);
}

#[test]
fn sanitize_keeps_a_quoted_value_hidden_past_escaped_quotes() {
    let error = r#"invalid user id "usr\" amelia@example.com \\" at line 1"#;
    let clean = super::sanitize(error);
    assert!(!clean.contains("amelia"), "{clean}");
    assert!(clean.ends_with("at line 1"), "{clean}");
}

#[test]
fn derived_message_ids_are_stable_valid_uuidv7s() {
    let anchor = Uuid::now_v7();
    let saga = Uuid::now_v7();
    let id = Envelope::derived_message_id(anchor, saga.as_bytes());
    assert_eq!(id, Envelope::derived_message_id(anchor, saga.as_bytes()));
    assert_ne!(id, Envelope::derived_message_id(anchor, b"another"));
    assert_ne!(
        id,
        Envelope::derived_message_id(Uuid::now_v7(), saga.as_bytes())
    );
    assert_eq!(id.get_version(), Some(uuid::Version::SortRand));
    assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
    assert_eq!(
        id.get_timestamp(),
        anchor.get_timestamp(),
        "sorts with its anchor"
    );
    // It decodes as any message id does.
    let mut envelope = Envelope::new(
        saga,
        crate::events::TripCancelRequested {
            requested_by: "erasure".into(),
        },
    );
    envelope.message_id = id;
    assert_eq!(Envelope::decode(&envelope.encode()).unwrap().message_id, id);
}

#[test]
fn reasons_name_the_field_and_not_the_value() {
    let err = Envelope::decode(&wire(|v| v["schema_version"] = json!(70_000))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid envelope: schema_version: invalid integer, expected u16"
    );
    let err = Envelope::decode(&wire(|v| v["schema_version"] = json!(7))).unwrap_err();
    assert!(!err.to_string().contains('7'), "{err}");
    let err = Envelope::decode(&wire(|v| v["payload"]["email_id"] = json!(true))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid notification.sent payload: payload.email_id: expected a string, found a boolean"
    );
    let err = Envelope::decode(b"{\"message_id\": 14155550177").unwrap_err();
    assert_eq!(err.code(), "not_json");
    assert_eq!(
        err.to_string(),
        "body is not JSON: EOF while parsing an object at line 1 column 26"
    );
    assert!(!err.to_string().contains("14155550177"), "{err}");
}

#[test]
fn a_personal_value_in_an_enum_field_is_not_quoted() {
    let err = Envelope::decode(&wire(|v| {
        v["message_type"] = json!("trip.requested");
        v["payload"] = json!({"passengers": [{"gender": "amelia@example.com"}]});
    }))
    .unwrap_err();
    assert_eq!(err.code(), "invalid_payload");
    assert!(!err.to_string().contains("amelia"), "{err}");
    assert!(err.to_string().contains("expected `m` or `f`"), "{err}");
    assert!(
        err.to_string().contains("payload.passengers[0].gender"),
        "{err}"
    );
}
