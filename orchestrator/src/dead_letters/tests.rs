//! Reading dead letters: headers, identity, bodies of any kind.

#![allow(clippy::unwrap_used)]

use super::*;

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.to_owned().into())
}

#[test]
fn autobook_dead_letters_keep_their_headers_and_identity() {
    let id = Uuid::now_v7();
    let message_id = Uuid::now_v7();
    let saga_id = Uuid::now_v7();
    let mut table = FieldTable::default();
    table.insert(headers::DEAD_LETTER_ID.into(), text(&id.to_string()));
    table.insert(headers::DEAD_LETTER_CODE.into(), text("unknown_saga"));
    table.insert(headers::DEAD_LETTER_REASON.into(), text("no saga"));
    table.insert(headers::DEAD_LETTER_SOURCE.into(), text("ns.orchestrator"));
    table.insert(
        headers::DEAD_LETTERED_AT.into(),
        text("2026-11-22T10:00:00+00:00"),
    );
    table.insert(headers::ATTEMPTS.into(), AMQPValue::LongUInt(3));
    table.insert(headers::SCHEMA_VERSION.into(), AMQPValue::ShortUInt(1));
    let properties = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_message_id(message_id.to_string().into())
        .with_correlation_id(saga_id.to_string().into())
        .with_type("payment.voided".into())
        .with_headers(table);
    let record = DeadLetterRecord::from_message(
        QueueRole::Orchestrator,
        "ns.orchestrator",
        &properties,
        b"{}",
        "ns.orchestrator",
        Utc::now(),
    );
    assert_eq!(record.id, id);
    assert_eq!(
        (record.code.as_str(), record.reason.as_str()),
        ("unknown_saga", "no saga")
    );
    assert_eq!(record.source_queue, "ns.orchestrator");
    assert_eq!(record.attempts, 3);
    assert_eq!(
        record.dead_lettered_at.to_rfc3339(),
        "2026-11-22T10:00:00+00:00"
    );
    assert_eq!(record.message_id, Some(message_id));
    assert_eq!(record.saga_id, Some(saga_id));
    assert_eq!(record.message_type.as_deref(), Some("payment.voided"));
    assert_eq!(record.headers["x-autobook-error-code"], "unknown_saga");
    assert!(
        record.headers.get(headers::SCHEMA_VERSION).is_none(),
        "text headers only"
    );
    let restored: BasicProperties =
        serde_json::from_value(record.properties.clone().unwrap()).unwrap();
    assert_eq!(restored, properties, "properties survive the archive");
}

#[test]
fn bare_messages_are_identified_from_their_body_or_the_broker() {
    let message_id = Uuid::now_v7();
    let body = serde_json::to_vec(&serde_json::json!({
        "message_id": message_id, "message_type": "trip.requested", "saga_id": "not a uuid"
    }))
    .unwrap();
    let mut table = FieldTable::default();
    table.insert("x-first-death-reason".into(), text("rejected"));
    let properties = BasicProperties::default().with_headers(table);
    let now = Utc::now();
    let record =
        DeadLetterRecord::from_message(QueueRole::Search, "", &properties, &body, "ns.search", now);
    assert_eq!(record.code, "broker_rejected");
    assert_eq!(record.source_queue, "ns.search");
    assert_eq!(record.dead_lettered_at, now);
    assert_eq!(record.attempts, 0);
    assert_eq!(record.message_id, Some(message_id));
    assert_eq!(record.saga_id, None);
    assert_eq!(record.message_type.as_deref(), Some("trip.requested"));

    // Sealed whole, the body says nothing until it is opened.
    let sealed = DeadLetterRecord::from_message(
        QueueRole::Orchestrator,
        "",
        &BasicProperties::default().with_type("trip.requested".into()),
        b"\0pii:v2:k1:...",
        "ns.orchestrator",
        now,
    );
    assert_eq!((sealed.message_id, sealed.saga_id), (None, None));
    let identified = sealed.identified_by(&body);
    assert_eq!(identified.message_id, Some(message_id));
    assert_eq!(identified.saga_id, None, "not a uuid in the body");
    assert_eq!(
        identified.message_type.as_deref(),
        Some("trip.requested"),
        "the properties come first"
    );

    let garbage = DeadLetterRecord::from_message(
        QueueRole::Search,
        "ns.search",
        &BasicProperties::default(),
        b"\xff\xfe not json",
        "ns.search",
        now,
    );
    assert_eq!(garbage.code, "unknown");
    assert_eq!((garbage.message_id, garbage.message_type), (None, None));
    assert_eq!(garbage.body, b"\xff\xfe not json");
}
