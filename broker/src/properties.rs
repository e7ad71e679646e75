//! AMQP properties of autobook messages: the envelope's identity mirrored
//! into standard properties and headers, so broker tooling can show them.
//! The JSON body stays authoritative.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

use autobook_contracts::topology::{CONTENT_TYPE, headers};

use crate::publisher::OutgoingMessage;

/// Properties for publishing `message` persistently.
pub fn for_message(message: &OutgoingMessage) -> BasicProperties {
    let mut table = FieldTable::default();
    table.insert(
        headers::SCHEMA_VERSION.into(),
        AMQPValue::ShortUInt(message.message_type.schema_version()),
    );
    if let Some(traceparent) = &message.traceparent {
        table.insert(
            headers::TRACEPARENT.into(),
            AMQPValue::LongString(traceparent.clone().into()),
        );
    }
    BasicProperties::default()
        .with_content_type(CONTENT_TYPE.into())
        .with_delivery_mode(2)
        .with_message_id(message.message_id.to_string().into())
        .with_correlation_id(message.saga_id.to_string().into())
        .with_type(message.message_type.as_str().into())
        .with_timestamp(u64::try_from(message.occurred_at.timestamp()).unwrap_or_default())
        .with_app_id("autobook".into())
        .with_headers(table)
}

/// The original properties with the dead-letter reason added.
pub fn for_dead_letter(
    original: &BasicProperties,
    source_queue: &str,
    code: &str,
    reason: &str,
) -> BasicProperties {
    let mut table = original.headers().clone().unwrap_or_default();
    let text = |s: &str| AMQPValue::LongString(s.to_owned().into());
    table.insert(headers::DEAD_LETTER_CODE.into(), text(code));
    table.insert(headers::DEAD_LETTER_REASON.into(), text(reason));
    table.insert(headers::DEAD_LETTER_SOURCE.into(), text(source_queue));
    table.insert(
        headers::DEAD_LETTERED_AT.into(),
        text(&chrono::Utc::now().to_rfc3339()),
    );
    original.clone().with_delivery_mode(2).with_headers(table)
}

/// A header's text value, if present.
pub fn header_text(properties: &BasicProperties, name: &str) -> Option<String> {
    let value = properties.headers().as_ref()?.inner().get(name)?.clone();
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}
