//! The versioned envelope every message travels in, and its JSON codec.
//!
//! On the wire a message is one JSON object: envelope fields plus the
//! payload under `payload`. Decoding is strict and typed: an unknown
//! message type, a schema version newer than this build, or a payload that
//! does not match its type is a [`DecodeError`], never a panic or a guess.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::message::{Message, MessageType};
use crate::trace::TraceContext;

/// Largest message body accepted, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// A message with its identity, causality and trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Unique per message (UUIDv7); the inbox de-duplicates on it.
    pub message_id: Uuid,
    /// The booking this message belongs to; also the AMQP correlation id.
    pub saga_id: Uuid,
    /// The message that caused this one.
    pub causation_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub trace: TraceContext,
    pub message: Message,
}

impl Envelope {
    /// A first message of a saga, starting a new trace.
    pub fn new(saga_id: Uuid, message: impl Into<Message>) -> Self {
        Envelope {
            message_id: Uuid::now_v7(),
            saga_id,
            causation_id: None,
            occurred_at: Utc::now(),
            trace: TraceContext::new_root(),
            message: message.into(),
        }
    }

    /// A message caused by `cause`: same saga, same trace, causation set.
    pub fn caused_by(cause: &Envelope, message: impl Into<Message>) -> Self {
        Envelope {
            message_id: Uuid::now_v7(),
            saga_id: cause.saga_id,
            causation_id: Some(cause.message_id),
            occurred_at: Utc::now(),
            trace: cause.trace.child(),
            message: message.into(),
        }
    }

    /// A message id that is the same every time it is derived from the
    /// same `anchor` (a UUIDv7: its timestamp is kept) and `name`, so a
    /// message produced again (a retried pass, a redelivered webhook) is a
    /// duplicate the inbox recognises. Still a valid UUIDv7.
    pub fn derived_message_id(anchor: Uuid, name: &[u8]) -> Uuid {
        let hashed = Uuid::new_v5(&anchor, name).into_bytes();
        let mut bytes = anchor.into_bytes();
        bytes[6..].copy_from_slice(&hashed[6..]);
        uuid::Builder::from_bytes(bytes)
            .with_version(uuid::Version::SortRand)
            .with_variant(uuid::Variant::RFC4122)
            .into_uuid()
    }

    pub fn message_type(&self) -> MessageType {
        self.message.message_type()
    }

    /// Serializes to the wire JSON.
    pub fn encode(&self) -> Vec<u8> {
        // The payload types hold only strings, numbers, dates and nested
        // structs: serializing them cannot fail.
        let payload = self
            .message
            .payload_json()
            .unwrap_or(serde_json::Value::Null);
        let wire = WireEnvelope {
            message_id: self.message_id,
            saga_id: self.saga_id,
            causation_id: self.causation_id,
            message_type: self.message_type().as_str().to_owned(),
            schema_version: self.message_type().schema_version(),
            occurred_at: self.occurred_at,
            traceparent: Some(self.trace.traceparent.clone()),
            tracestate: self.trace.tracestate.clone(),
            payload,
        };
        serde_json::to_vec(&wire).unwrap_or_default()
    }

    /// Parses wire JSON, checking type, version and payload.
    pub fn decode(body: &[u8]) -> Result<Envelope, DecodeError> {
        if body.len() > MAX_MESSAGE_BYTES {
            return Err(DecodeError::TooLarge {
                size: body.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| DecodeError::NotJson(sanitize(&e.to_string())))?;
        let wire: WireEnvelope = serde_json::from_value(value)
            .map_err(|e| DecodeError::InvalidEnvelope(sanitize(&e.to_string())))?;
        if wire.message_id.get_version() != Some(uuid::Version::SortRand) {
            return Err(DecodeError::InvalidEnvelope(
                "message_id must be a UUIDv7".into(),
            ));
        }
        if wire.saga_id.is_nil() {
            return Err(DecodeError::InvalidEnvelope(
                "saga_id must not be the nil UUID".into(),
            ));
        }
        let message_type = MessageType::parse(&wire.message_type)
            .ok_or_else(|| DecodeError::UnknownMessageType(sanitize(&wire.message_type)))?;
        let supported = message_type.schema_version();
        if wire.schema_version == 0 || wire.schema_version > supported {
            return Err(DecodeError::UnsupportedSchemaVersion {
                message_type,
                version: wire.schema_version,
                supported,
            });
        }
        let message = Message::from_payload_json(message_type, wire.payload).map_err(|e| {
            DecodeError::InvalidPayload {
                message_type,
                detail: sanitize(&e.to_string()),
            }
        })?;
        let trace = wire
            .traceparent
            .as_deref()
            .and_then(|tp| TraceContext::parse(tp, wire.tracestate.clone()))
            .unwrap_or_else(TraceContext::new_root);
        Ok(Envelope {
            message_id: wire.message_id,
            saga_id: wire.saga_id,
            causation_id: wire.causation_id,
            occurred_at: wire.occurred_at,
            trace,
            message,
        })
    }
}

/// The wire shape of an envelope. Documented in the README and in
/// `contracts/schemas/envelope.json`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WireEnvelope {
    /// UUIDv7, unique per message. Re-publishing the same message must reuse it.
    pub message_id: Uuid,
    /// The saga (booking) id; for `trip.requested` the publisher chooses it.
    pub saga_id: Uuid,
    /// The message that caused this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// One of the registered message types, e.g. "trip.requested".
    pub message_type: String,
    /// Version of the payload schema; newer than this build understands is refused.
    pub schema_version: u16,
    /// RFC 3339 timestamp.
    pub occurred_at: DateTime<Utc>,
    /// W3C traceparent; a missing or invalid one starts a new trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
    /// The message itself; its schema depends on `message_type`.
    pub payload: serde_json::Value,
}

/// Why a message body could not be decoded. All of these are permanent:
/// the message is dead-lettered with this error as its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {size} bytes exceeds the {limit} byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(String),
    #[error("unknown message type {0:?}")]
    UnknownMessageType(String),
    #[error(
        "{message_type} schema version {version} is not supported (this build reads up to {supported})"
    )]
    UnsupportedSchemaVersion {
        message_type: MessageType,
        version: u16,
        supported: u16,
    },
    #[error("invalid {message_type} payload: {detail}")]
    InvalidPayload {
        message_type: MessageType,
        detail: String,
    },
}

impl DecodeError {
    /// A stable code for dead-letter headers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "too_large",
            DecodeError::NotJson(_) => "not_json",
            DecodeError::InvalidEnvelope(_) => "invalid_envelope",
            DecodeError::UnknownMessageType(_) => "unknown_message_type",
            DecodeError::UnsupportedSchemaVersion { .. } => "unsupported_schema_version",
            DecodeError::InvalidPayload { .. } => "invalid_payload",
        }
    }
}

/// Serde errors quote offending values, which may be personal data or
/// hostile text: quoted strings and unknown variant or field names are
/// replaced and the whole is bounded.
pub fn sanitize(message: &str) -> String {
    const LIMIT: usize = 300;
    let message = hide_unknown_names(message);
    let mut out = String::with_capacity(message.len().min(LIMIT));
    let mut in_quotes = false;
    let mut escaped = false;
    for c in message.chars() {
        if in_quotes && (escaped || c == '\\') {
            // Inside a quoted value an escaped quote does not end it.
            escaped = !escaped;
            continue;
        }
        match (c, in_quotes) {
            ('"', false) => {
                in_quotes = true;
                out.push_str("\"…");
            }
            ('"', true) => {
                in_quotes = false;
                out.push('"');
            }
            (_, true) => {}
            (c, false) if c.is_control() => out.push(' '),
            (c, false) => out.push(c),
        }
        if out.chars().count() >= LIMIT {
            out.push('…');
            break;
        }
    }
    out
}

/// Serde names an unknown variant or field with the input itself, raw, in
/// backticks: "unknown variant `Amelia`, expected one of `mr`, `ms`". The
/// input is blanked up to serde's own closing (the last one, so a backtick
/// in the input cannot end it early); the expected names, from the schema,
/// stay.
fn hide_unknown_names(message: &str) -> String {
    const OPENINGS: [&str; 2] = ["unknown variant `", "unknown field `"];
    const CLOSINGS: [&str; 2] = ["`, expected ", "`, there are no "];
    let opening = OPENINGS
        .iter()
        .filter_map(|o| message.find(o).map(|at| at + o.len()))
        .min();
    let Some(value_start) = opening else {
        return message.to_owned();
    };
    let value = &message[value_start..];
    let value_end = CLOSINGS
        .iter()
        .filter_map(|c| value.rfind(c))
        .max()
        .or_else(|| value.rfind('`'))
        .unwrap_or(value.len());
    format!("{}…{}", &message[..value_start], &value[value_end..])
}

#[cfg(test)]
mod tests;
