//! The W3C trace context across the broker, so that one booking is one
//! trace over every role.
//!
//! On publish, the AMQP headers `traceparent` (and `tracestate`) name the
//! span that published the message; on consume they become the remote
//! parent of the handling span. The envelope carries a trace context too:
//! the one its creator had when it made the message (for an outbox row,
//! the orchestrator's handling span; for a reply, the worker's). Both
//! always share the trace id; the header's span is the publish span, a
//! child of the envelope's.
//!
//! **The header wins.** A delivery with a well-formed `traceparent` header
//! belongs to that trace, and its envelope's `trace` is overwritten with
//! it before the handler sees it, so the handler and every message it
//! causes agree with the header. A delivery without one (a publisher that
//! does not set headers) falls back to the envelope's context.
//!
//! Without an OpenTelemetry layer installed (export off), spans have no
//! context: the header then carries the envelope's context unchanged, and
//! each hop derives a child context (same trace id) as before.

use std::str::FromStr;

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use autobook_contracts::topology::headers;
use autobook_contracts::trace::TraceContext;

use crate::properties::header_text;

/// The trace context in a delivery's headers, if it is well-formed.
pub fn from_headers(properties: &BasicProperties) -> Option<TraceContext> {
    let traceparent = header_text(properties, headers::TRACEPARENT)?;
    TraceContext::parse(&traceparent, header_text(properties, headers::TRACESTATE))
}

/// The trace a delivery belongs to: the header's, else the envelope's.
pub fn incoming(
    header: Option<TraceContext>,
    envelope: Option<&TraceContext>,
) -> Option<TraceContext> {
    header.or_else(|| envelope.cloned())
}

/// Writes `trace` into AMQP headers.
pub fn insert_headers(table: &mut FieldTable, trace: &TraceContext) {
    table.insert(
        headers::TRACEPARENT.into(),
        AMQPValue::LongString(trace.traceparent.clone().into()),
    );
    if let Some(tracestate) = &trace.tracestate {
        table.insert(
            headers::TRACESTATE.into(),
            AMQPValue::LongString(tracestate.clone().into()),
        );
    }
}

/// `properties` with `trace` (the publishing span's context) added to
/// their headers.
pub fn with_trace(properties: BasicProperties, trace: &TraceContext) -> BasicProperties {
    let mut table = properties.headers().clone().unwrap_or_default();
    insert_headers(&mut table, trace);
    properties.with_headers(table)
}

/// Makes the span that `trace` names the parent of `span`, which must not
/// have been entered yet. Does nothing when spans are not exported.
pub fn set_remote_parent(span: &Span, trace: &TraceContext) {
    if let Some(parent) = span_context(trace) {
        // Fails only without an OpenTelemetry layer (export off) or for a
        // disabled span: then there is no parent to set.
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(parent));
    }
}

/// The trace context naming `span`, when spans are exported.
pub fn of_span(span: &Span) -> Option<TraceContext> {
    let context = span.context();
    let span_ref = context.span();
    let span_context = span_ref.span_context();
    span_context
        .is_valid()
        .then(|| to_trace_context(span_context))
}

/// What a message created now carries: the current span's context when
/// spans are exported, otherwise `derived` (the cause's trace, new span id).
pub fn current_or(derived: TraceContext) -> TraceContext {
    of_span(&Span::current()).unwrap_or(derived)
}

fn to_trace_context(span_context: &SpanContext) -> TraceContext {
    let tracestate = span_context.trace_state().header();
    TraceContext {
        traceparent: format!(
            "00-{:032x}-{:016x}-{:02x}",
            span_context.trace_id(),
            span_context.span_id(),
            span_context.trace_flags()
        ),
        tracestate: (!tracestate.is_empty()).then_some(tracestate),
    }
}

/// The remote span a (validated) trace context names.
fn span_context(trace: &TraceContext) -> Option<SpanContext> {
    let traceparent = &trace.traceparent;
    let trace_id = TraceId::from_hex(traceparent.get(3..35)?).ok()?;
    let span_id = SpanId::from_hex(traceparent.get(36..52)?).ok()?;
    let flags = u8::from_str_radix(traceparent.get(53..55)?, 16).ok()?;
    let state = trace
        .tracestate
        .as_deref()
        .and_then(|s| TraceState::from_str(s).ok())
        .unwrap_or_default();
    let context = SpanContext::new(trace_id, span_id, TraceFlags::new(flags), true, state);
    context.is_valid().then_some(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties;

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn with_headers(pairs: &[(&str, &str)]) -> BasicProperties {
        let mut table = FieldTable::default();
        for (name, value) in pairs {
            table.insert(
                (*name).into(),
                AMQPValue::LongString((*value).to_owned().into()),
            );
        }
        BasicProperties::default().with_headers(table)
    }

    #[test]
    fn the_header_wins_over_the_envelope() {
        let header = TraceContext::parse(PARENT, Some("vendor=1".into()));
        let envelope = TraceContext::new_root();
        assert_eq!(incoming(header.clone(), Some(&envelope)), header);
        assert_eq!(incoming(None, Some(&envelope)), Some(envelope));
        assert_eq!(incoming(None, None), None);
    }

    #[test]
    fn trace_headers_are_added_to_properties() {
        let trace = TraceContext::parse(PARENT, Some("vendor=1".into())).unwrap();
        let properties = with_headers(&[("schema_version", "1")]);
        let traced = with_trace(properties, &trace);
        assert_eq!(from_headers(&traced), Some(trace));
        assert_eq!(header_text(&traced, "schema_version").as_deref(), Some("1"));
    }

    #[test]
    fn headers_are_read_back_as_written() {
        let trace = TraceContext::parse(PARENT, Some("vendor=1,other=2".into())).unwrap();
        let mut table = FieldTable::default();
        insert_headers(&mut table, &trace);
        let properties = BasicProperties::default().with_headers(table);
        assert_eq!(from_headers(&properties), Some(trace));
    }

    #[test]
    fn retries_dead_letters_and_replays_keep_the_trace_headers() {
        let trace = TraceContext::parse(PARENT, Some("vendor=1".into())).unwrap();
        let original = with_trace(BasicProperties::default(), &trace);
        let dead = properties::for_dead_letter(&original, "q", "code", "reason");
        let retried = properties::for_retry(&original, 2, "code", "reason");
        for passed_on in [&dead, &retried, &properties::for_replay(&dead)] {
            assert_eq!(from_headers(passed_on), Some(trace.clone()));
        }
    }

    #[test]
    fn malformed_or_missing_headers_are_ignored() {
        assert_eq!(from_headers(&BasicProperties::default()), None);
        for bad in ["<script>", "00-abc", &PARENT.to_uppercase()] {
            assert_eq!(from_headers(&with_headers(&[("traceparent", bad)])), None);
        }
    }

    #[test]
    fn trace_contexts_convert_to_span_contexts_and_back() {
        let trace = TraceContext::parse(PARENT, Some("vendor=1".into())).unwrap();
        let span_context = span_context(&trace).unwrap();
        assert!(span_context.is_remote());
        assert!(span_context.is_sampled());
        assert_eq!(
            span_context.trace_id(),
            TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap()
        );
        assert_eq!(to_trace_context(&span_context), trace);
    }

    #[test]
    fn without_a_layer_spans_have_no_context() {
        let span = tracing::info_span!("no subscriber");
        assert_eq!(of_span(&span), None);
        let derived = TraceContext::new_root();
        assert_eq!(current_or(derived.clone()), derived);
    }
}
