//! W3C trace context (`traceparent`, `tracestate`) carried in every
//! envelope, so one booking can be followed across queue hops.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The trace a message belongs to and the span that sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TraceContext {
    /// `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`.
    pub traceparent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

impl TraceContext {
    /// A new trace, sampled.
    pub fn new_root() -> Self {
        let trace_id = Uuid::new_v4().simple().to_string();
        TraceContext {
            traceparent: format!("00-{trace_id}-{}-01", new_span_id()),
            tracestate: None,
        }
    }

    /// Accepts a well-formed `traceparent`; anything else yields `None`, as
    /// the W3C specification asks (an invalid header starts a new trace).
    pub fn parse(traceparent: &str, tracestate: Option<String>) -> Option<Self> {
        let parts: Vec<&str> = traceparent.split('-').collect();
        let hex = |s: &str, len: usize| {
            s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        let valid = parts.len() == 4
            && parts[0] == "00"
            && hex(parts[1], 32)
            && parts[1].bytes().any(|b| b != b'0')
            && hex(parts[2], 16)
            && parts[2].bytes().any(|b| b != b'0')
            && hex(parts[3], 2);
        let tracestate = tracestate
            .filter(|s| s.len() <= 512 && s.is_ascii() && !s.chars().any(|c| c.is_control()));
        valid.then(|| TraceContext {
            traceparent: traceparent.to_owned(),
            tracestate,
        })
    }

    /// The 32-hex trace id.
    pub fn trace_id(&self) -> &str {
        self.traceparent.get(3..35).unwrap_or("")
    }

    /// The same trace, with a new span as parent: what a message caused by
    /// this one carries.
    pub fn child(&self) -> Self {
        let flags = self.traceparent.get(53..55).unwrap_or("01");
        TraceContext {
            traceparent: format!("00-{}-{}-{flags}", self.trace_id(), new_span_id()),
            tracestate: self.tracestate.clone(),
        }
    }
}

fn new_span_id() -> String {
    let bytes = Uuid::new_v4().into_bytes();
    let mut out = String::with_capacity(16);
    for b in &bytes[..8] {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_valid_and_children_keep_the_trace() {
        let root = TraceContext::new_root();
        assert!(
            TraceContext::parse(&root.traceparent, None).is_some(),
            "{}",
            root.traceparent
        );
        let child = root.child();
        assert_eq!(child.trace_id(), root.trace_id());
        assert_ne!(child.traceparent, root.traceparent);
        assert!(TraceContext::parse(&child.traceparent, None).is_some());
    }

    #[test]
    fn malformed_traceparents_are_refused() {
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        ] {
            assert!(TraceContext::parse(bad, None).is_none(), "{bad}");
        }
        assert!(
            TraceContext::parse(
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                None
            )
            .is_some()
        );
    }
}
