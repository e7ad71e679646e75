//! AMQP properties of autobook messages: the envelope's identity mirrored
//! into standard properties and headers, so broker tooling can show them.
//! The JSON body stays authoritative.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

use autobook_contracts::topology::{CONTENT_TYPE, headers};

use crate::outgoing::OutgoingMessage;

/// Properties for publishing `message` persistently. The publisher adds
/// the W3C trace headers (`propagation::with_trace`).
pub fn for_message(message: &OutgoingMessage) -> BasicProperties {
    let mut table = FieldTable::default();
    table.insert(
        headers::SCHEMA_VERSION.into(),
        AMQPValue::ShortUInt(message.message_type.schema_version()),
    );
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

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.to_owned().into())
}

/// The original properties with the dead-letter reason added: why
/// (`code`, `reason`), where from, after how many attempts, and when.
pub fn for_dead_letter(
    original: &BasicProperties,
    source_queue: &str,
    code: &str,
    reason: &str,
) -> BasicProperties {
    let mut table = original.headers().clone().unwrap_or_default();
    table.insert(headers::DEAD_LETTER_CODE.into(), text(code));
    table.insert(headers::DEAD_LETTER_REASON.into(), text(reason));
    table.insert(headers::DEAD_LETTER_SOURCE.into(), text(source_queue));
    table.insert(
        headers::DEAD_LETTERED_AT.into(),
        text(&chrono::Utc::now().to_rfc3339()),
    );
    table.insert(
        headers::DEAD_LETTER_ID.into(),
        text(&uuid::Uuid::now_v7().to_string()),
    );
    table.insert(
        headers::ATTEMPTS.into(),
        AMQPValue::LongUInt(attempts(original)),
    );
    original.clone().with_delivery_mode(2).with_headers(table)
}

/// The original properties for the next attempt after a transient failure.
pub fn for_retry(
    original: &BasicProperties,
    attempt: u32,
    code: &str,
    reason: &str,
) -> BasicProperties {
    let mut table = original.headers().clone().unwrap_or_default();
    table.insert(headers::ATTEMPTS.into(), AMQPValue::LongUInt(attempt));
    table.insert(headers::LAST_ERROR_CODE.into(), text(code));
    table.insert(headers::LAST_ERROR_REASON.into(), text(reason));
    original.clone().with_delivery_mode(2).with_headers(table)
}

/// The properties of a replayed dead letter: the original ones, with the
/// dead-letter and retry bookkeeping removed so it starts afresh. Its
/// sender and signature stay: a replay is checked as the original was.
pub fn for_replay(original: &BasicProperties) -> BasicProperties {
    let mut table = FieldTable::default();
    if let Some(present) = original.headers() {
        for (name, value) in present.inner() {
            let header = name.as_str();
            let kept = [headers::SENDER, headers::SIGNATURE].contains(&header);
            if kept || (!header.starts_with("x-autobook-") && !header.starts_with("x-death")) {
                table.insert(name.clone(), value.clone());
            }
        }
    }
    original.clone().with_delivery_mode(2).with_headers(table)
}

/// Retries a message has been through (0 when it never failed).
pub fn attempts(properties: &BasicProperties) -> u32 {
    let value = properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(headers::ATTEMPTS).cloned());
    match value {
        Some(AMQPValue::LongUInt(n)) => n,
        Some(AMQPValue::LongInt(n)) => u32::try_from(n).unwrap_or(0),
        Some(AMQPValue::ShortUInt(n)) => u32::from(n),
        Some(AMQPValue::LongLongInt(n)) => u32::try_from(n).unwrap_or(0),
        _ => 0,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_keep_the_sender_and_signature_and_drop_the_bookkeeping() {
        let mut table = FieldTable::default();
        table.insert(headers::SENDER.into(), text("autobook-orchestrator"));
        table.insert(headers::SIGNATURE.into(), text("v1=k1:00"));
        let original = BasicProperties::default().with_headers(table);
        let dead = for_dead_letter(&for_retry(&original, 2, "c", "r"), "q", "c", "r");
        let replayed = for_replay(&dead);
        assert_eq!(
            header_text(&replayed, headers::SENDER).as_deref(),
            Some("autobook-orchestrator")
        );
        assert_eq!(
            header_text(&replayed, headers::SIGNATURE).as_deref(),
            Some("v1=k1:00")
        );
        assert_eq!(attempts(&replayed), 0);
        assert_eq!(header_text(&replayed, headers::DEAD_LETTER_CODE), None);
    }
}
