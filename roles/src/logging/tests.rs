//! What the log lines of handling a message carry, in each format.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use uuid::Uuid;

use autobook_broker::spans;
use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, QueueRole};

use super::log_layer;
use crate::log_settings::LogFormat;

/// Collects what the log layer writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'w> MakeWriter<'w> for Captured {
    type Writer = Captured;
    fn make_writer(&'w self) -> Captured {
        self.clone()
    }
}

fn trip_request() -> Envelope {
    Envelope::new(Uuid::now_v7(), autobook_contracts::fixtures::trip())
}

/// Logs what a handler would while handling `envelope` (nested in a
/// provider request span, too) in `format`; returns the output.
fn log_handling(format: LogFormat, envelope: &Envelope) -> String {
    let captured = Captured::default();
    let layer = log_layer(format, EnvFilter::new("info"), false, captured.clone());
    let subscriber = tracing_subscriber::registry().with(vec![layer]);
    tracing::subscriber::with_default(subscriber, || {
        let span = spans::handling(
            QueueRole::Orchestrator,
            Some(envelope),
            Some(&envelope.trace),
            false,
        );
        let _handling = span.enter();
        tracing::info!(step = "first", "handling");
        let nested = tracing::info_span!("provider request", provider = "stripe");
        let _nested = nested.enter();
        tracing::warn!("nested");
    });
    let bytes = captured.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

#[test]
fn every_json_line_while_handling_carries_saga_message_and_trace_ids() {
    let envelope = trip_request();
    let output = log_handling(LogFormat::Json, &envelope);
    let lines: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{output}");
    for line in &lines {
        let handling = line["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|span| span["name"] == "handle")
            .unwrap_or_else(|| panic!("no handle span in {line}"));
        assert_eq!(handling["saga_id"], envelope.saga_id.to_string(), "{line}");
        assert_eq!(
            handling["message_id"],
            envelope.message_id.to_string(),
            "{line}"
        );
        assert_eq!(handling["trace_id"], envelope.trace.trace_id(), "{line}");
    }
    assert_eq!(lines[1]["span"]["name"], "provider request");
}

#[test]
fn log_lines_hold_no_personal_data() {
    let envelope = trip_request();
    let wire: serde_json::Value = serde_json::from_slice(&envelope.encode()).unwrap();
    let passenger = &wire["payload"]["passengers"][0];
    for format in [LogFormat::Json, LogFormat::Text] {
        let output = log_handling(format, &envelope);
        for field in ["given_name", "family_name", "email", "phone_number"] {
            let value = passenger[field].as_str().unwrap();
            assert!(!output.contains(value), "{field} in {output}");
        }
    }
}

#[test]
fn text_lines_are_for_people_and_still_name_the_saga() {
    let envelope = trip_request();
    let output = log_handling(LogFormat::Text, &envelope);
    assert!(serde_json::from_str::<serde_json::Value>(output.lines().next().unwrap()).is_err());
    assert!(output.contains(&envelope.saga_id.to_string()), "{output}");
    assert!(
        !output.contains('\u{1b}'),
        "colour only on a terminal: {output}"
    );
}

#[test]
fn auto_is_text_on_a_terminal_and_json_otherwise() {
    assert_eq!(LogFormat::Auto.resolve(true), LogFormat::Text);
    assert_eq!(LogFormat::Auto.resolve(false), LogFormat::Json);
    assert_eq!(LogFormat::Json.resolve(true), LogFormat::Json);
    assert_eq!(LogFormat::Text.resolve(false), LogFormat::Text);
}

#[test]
fn a_trace_id_is_logged_even_when_spans_are_not_exported() {
    let envelope = trip_request();
    assert!(TraceContext::parse(&envelope.trace.traceparent, None).is_some());
    let output = log_handling(LogFormat::Json, &envelope);
    assert!(output.contains(envelope.trace.trace_id()), "{output}");
}
