//! The versioned envelope every message travels in, and its JSON codec.
//!
//! On the wire a message is one JSON object: envelope fields plus the
//! payload under `payload`. Decoding is strict and typed: an unknown
//! message type, a schema version newer than this build, or a payload that
//! does not match its type is a [`DecodeError`], never a panic or a guess.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::message::{Message, MessageType};
use crate::refusal;
use crate::trace::TraceContext;
use crate::wire::WireEnvelope;

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
            .map_err(|e| DecodeError::NotJson(refusal::syntax_description(&e)))?;
        let wire: WireEnvelope = refusal::from_value(value)
            .map_err(|refused| DecodeError::InvalidEnvelope(refused.to_string()))?;
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
        let message_type =
            MessageType::parse(&wire.message_type).ok_or(DecodeError::UnknownMessageType)?;
        let supported = message_type.schema_version();
        if wire.schema_version == 0 || wire.schema_version > supported {
            return Err(DecodeError::UnsupportedSchemaVersion {
                message_type,
                version: wire.schema_version,
                supported,
            });
        }
        let message =
            Message::from_payload_json(message_type, wire.payload, &refusal::PayloadRefusals)
                .map_err(|refused| DecodeError::InvalidPayload {
                    message_type,
                    detail: refused.under("payload").to_string(),
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

/// Why a message body could not be decoded. All of these are permanent:
/// the message is dead-lettered with this error as its reason, which names
/// the field at fault and never quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("message of {size} bytes exceeds the {limit} byte limit")]
    TooLarge { size: usize, limit: usize },
    /// What the JSON parser met, and where: never the input.
    #[error("body is not JSON: {0}")]
    NotJson(String),
    /// The field at fault and what was expected ([`refusal`]).
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(String),
    /// Not one of the registered types (which one is not repeated: the
    /// name is input).
    #[error("message_type: not a registered message type")]
    UnknownMessageType,
    /// The version is not repeated either: it is input too.
    #[error("schema_version: {message_type} is read up to version {supported}, from version 1")]
    UnsupportedSchemaVersion {
        message_type: MessageType,
        version: u16,
        supported: u16,
    },
    /// The field at fault (`payload.passengers[0].born_on`) and what was
    /// expected ([`refusal`]).
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
            DecodeError::UnknownMessageType => "unknown_message_type",
            DecodeError::UnsupportedSchemaVersion { .. } => "unsupported_schema_version",
            DecodeError::InvalidPayload { .. } => "invalid_payload",
        }
    }
}

/// Free text from elsewhere (a panic message, a header) made safe for a
/// reason or a log line: quoted parts removed, printable, bounded. See
/// [`refusal::scrub`].
pub fn sanitize(message: &str) -> String {
    refusal::scrub(message)
}

#[cfg(test)]
mod tests;
