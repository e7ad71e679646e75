//! The spans of messaging: one per handled delivery (`handle`, a consumer
//! span), one per published message (`publish`, a producer span), and the
//! root of a booking's trace (`submit`, around publishing its first message).
//!
//! Both are roots in-process: their parent is set only from a trace
//! context that travelled with the message ([`crate::propagation`]), never
//! from whatever span happens to be current, so roles sharing a process
//! are linked exactly as separate processes are. They carry the saga id,
//! the message id and the trace id, so every log line emitted while
//! handling or publishing a message has them. Never personal data.

use tracing::Span;
use tracing::field::Empty;

use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, QueueRole};

use crate::outgoing::OutgoingMessage;
use crate::propagation;

/// The span of handling one delivery from `queue`, child of the span that
/// published it. `envelope` is None when the body could not be decoded.
pub fn handling(
    queue: QueueRole,
    envelope: Option<&Envelope>,
    trace: Option<&TraceContext>,
    redelivered: bool,
) -> Span {
    let message_type = envelope.map(|e| e.message_type().as_str());
    let span = tracing::info_span!(
        parent: None,
        "handle",
        otel.name = %format!("handle {}", message_type.unwrap_or("undecodable")),
        otel.kind = "consumer",
        otel.status_code = Empty,
        messaging.system = "rabbitmq",
        messaging.operation.type = "process",
        queue = queue.as_str(),
        message_type,
        saga_id = envelope.map(|e| tracing::field::display(e.saga_id)),
        message_id = envelope.map(|e| tracing::field::display(e.message_id)),
        trace_id = trace.map(TraceContext::trace_id),
        redelivered,
        disposition = Empty,
    );
    if let Some(trace) = trace {
        propagation::set_remote_parent(&span, trace);
    }
    span
}

/// The span of publishing `message` to `exchange`, child of the span that
/// created the message. `publisher` names the role (relay, worker, ...).
pub fn publishing(publisher: &'static str, exchange: &str, message: &OutgoingMessage) -> Span {
    let message_type = message.message_type.as_str();
    let span = tracing::info_span!(
        parent: None,
        "publish",
        otel.name = %format!("publish {message_type}"),
        otel.kind = "producer",
        otel.status_code = Empty,
        messaging.system = "rabbitmq",
        messaging.operation.type = "send",
        messaging.destination.name = exchange,
        publisher,
        message_type,
        saga_id = %message.saga_id,
        message_id = %message.message_id,
        trace_id = message.trace.as_ref().map(TraceContext::trace_id),
    );
    if let Some(trace) = &message.trace {
        propagation::set_remote_parent(&span, trace);
    }
    span
}

/// Marks the current span as failed (shown as an error in trace views).
pub fn record_error() {
    Span::current().record("otel.status_code", "ERROR");
}

/// The root span of a new booking's trace: submitting its first message.
/// The envelope then carries the span's context (when spans are exported;
/// otherwise it keeps the new trace it was created with).
pub fn submitting(envelope: &mut Envelope) -> Span {
    let span = tracing::info_span!(
        parent: None,
        "submit",
        otel.name = %format!("submit {}", envelope.message_type().as_str()),
        saga_id = %envelope.saga_id,
        message_id = %envelope.message_id,
        trace_id = Empty,
    );
    if let Some(trace) = propagation::of_span(&span) {
        envelope.trace = trace;
    }
    span.record("trace_id", envelope.trace.trace_id());
    span
}
