//! The wire shape of an envelope: one JSON object, envelope fields plus
//! the payload under `payload`, as it is read before its type is known.
//! [`crate::envelope`] encodes and decodes through it; its field names are
//! ours, so refusals may name them ([`crate::refusal`]).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The wire shape of an envelope. Documented in `docs/publishing.md` and in
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
