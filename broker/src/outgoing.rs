//! A message ready to publish: its identity, its type, the trace context
//! it was made in, and its encoded body. Made from an envelope or read
//! from the outbox; [`crate::publisher`] publishes it, and its properties
//! ([`crate::properties`]) and `publish` span ([`crate::spans`]) are made
//! from it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, MessageType};

/// An encoded message ready to publish (from an envelope or the outbox).
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub message_id: Uuid,
    pub saga_id: Uuid,
    pub message_type: MessageType,
    pub occurred_at: DateTime<Utc>,
    /// The trace context of the span that created the message; the
    /// publish span is its child.
    pub trace: Option<TraceContext>,
    pub body: Vec<u8>,
}

impl OutgoingMessage {
    pub fn from_envelope(envelope: &Envelope) -> Self {
        OutgoingMessage {
            message_id: envelope.message_id,
            saga_id: envelope.saga_id,
            message_type: envelope.message_type(),
            occurred_at: envelope.occurred_at,
            trace: Some(envelope.trace.clone()),
            body: envelope.encode(),
        }
    }
}
