//! Reading exported spans as a tree: one trace, its spans by id, and the
//! attributes autobook puts on them.

use std::collections::HashMap;

use opentelemetry::trace::{SpanId, SpanKind, TraceId};
use opentelemetry_sdk::trace::SpanData;

/// The string value of attribute `key`.
pub fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// The spans of one trace, by span id.
pub struct Trace<'a> {
    pub spans: HashMap<SpanId, &'a SpanData>,
}

impl<'a> Trace<'a> {
    pub fn of(all: &'a [SpanData], trace_id: TraceId) -> Trace<'a> {
        Trace {
            spans: all
                .iter()
                .filter(|s| s.span_context.trace_id() == trace_id)
                .map(|s| (s.span_context.span_id(), s))
                .collect(),
        }
    }

    /// Spans whose parent is not in this trace's set.
    pub fn roots(&self) -> Vec<&'a SpanData> {
        self.spans
            .values()
            .filter(|s| !self.spans.contains_key(&s.parent_span_id))
            .copied()
            .collect()
    }

    pub fn parent(&self, span: &SpanData) -> Option<&'a SpanData> {
        self.spans.get(&span.parent_span_id).copied()
    }

    /// The nearest ancestor of `span` that matches `predicate`.
    pub fn ancestor(
        &self,
        span: &SpanData,
        predicate: impl Fn(&SpanData) -> bool,
    ) -> Option<&'a SpanData> {
        let mut current = self.parent(span);
        while let Some(candidate) = current {
            if predicate(candidate) {
                return Some(candidate);
            }
            current = self.parent(candidate);
        }
        None
    }

    pub fn of_kind(&self, kind: SpanKind) -> Vec<&'a SpanData> {
        self.spans
            .values()
            .filter(|s| s.span_kind == kind)
            .copied()
            .collect()
    }

    /// The distinct values of `key` over spans of `kind`.
    pub fn values(&self, kind: SpanKind, key: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .of_kind(kind)
            .iter()
            .filter_map(|s| attribute(s, key))
            .collect();
        values.sort();
        values.dedup();
        values
    }
}
