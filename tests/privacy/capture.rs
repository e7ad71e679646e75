//! Capturing everything the process says about itself: every JSON log line
//! (autobook's crates at TRACE, the libraries at INFO) through the
//! binary's own log layer, every exported span through the binary's trace
//! layer into OpenTelemetry's in-memory exporter, and the Prometheus text
//! of the binary's recorder. Each is turned into [`Piece`]s to scan.
//!
//! One difference from the binary: a global filter that enables
//! everything but keeps every callsite's interest at "sometimes". Without
//! it, a span whose callsite is always enabled can be judged by per-layer
//! filter state left on the thread by an earlier `enabled` check that
//! created nothing (the `log` bridge makes such checks), and it then
//! silently misses both layers (tokio-rs/tracing#2519); seen here as a
//! span's fields missing from the log lines inside it. The capture must
//! see every span.

use std::path::PathBuf;

use opentelemetry::trace::{Status, TracerProvider as _};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::util::SubscriberInitExt;

use autobook_roles::log_settings::LogFormat;

use crate::scan::Piece;

/// What the process logs at its most verbose.
const LOG_FILTER: &str = "info,autobook=trace";
/// Far above what any span of a run holds, so nothing is dropped unseen.
const SPAN_LIMIT: u32 = 100_000;

/// The installed captures.
pub struct Capture {
    log_file: PathBuf,
    provider: SdkTracerProvider,
    exporter: InMemorySpanExporter,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
}

/// Everything captured, as pieces of text.
pub struct Captured {
    pub logs: Vec<Piece>,
    pub spans: Vec<Piece>,
    pub metrics: Vec<Piece>,
    /// Exported spans and span events.
    pub span_count: usize,
    pub event_count: usize,
}

impl Captured {
    pub fn all(&self) -> Vec<Piece> {
        [&self.logs, &self.spans, &self.metrics]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

impl Capture {
    /// Installs the global subscriber and metrics recorder (once per process).
    pub fn install() -> Capture {
        let log_file = std::env::temp_dir().join(format!(
            "autobook-privacy-{}.log",
            uuid::Uuid::new_v4().simple()
        ));
        let file = std::fs::File::create(&log_file).unwrap();
        let logs = autobook_roles::logging::log_layer(
            LogFormat::Json,
            EnvFilter::new(LOG_FILTER),
            false,
            file,
        );
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .with_max_attributes_per_span(SPAN_LIMIT)
            .with_max_events_per_span(SPAN_LIMIT)
            .with_max_attributes_per_event(SPAN_LIMIT)
            .with_max_links_per_span(SPAN_LIMIT)
            .build();
        let spans = autobook_roles::traces::layer(provider.tracer("autobook"));
        autobook_roles::logging::subscriber(vec![logs, spans]).init();
        let metrics =
            autobook_roles::metrics_recorder::install().expect("no recorder installed yet");
        Capture {
            log_file,
            provider,
            exporter,
            metrics,
        }
    }

    /// Everything captured so far; the log file is removed.
    pub fn collect(self) -> Captured {
        self.provider.force_flush().unwrap();
        let text = std::fs::read_to_string(&self.log_file).unwrap();
        let _ = std::fs::remove_file(&self.log_file);
        let logs = text
            .lines()
            .enumerate()
            .map(|(n, line)| Piece::new(format!("log line {}", n + 1), line))
            .collect();
        let exported = self.exporter.get_finished_spans().unwrap();
        let event_count = exported.iter().map(|s| s.events.len()).sum();
        let spans = exported.iter().flat_map(span_pieces).collect();
        let metrics = self
            .metrics
            .render()
            .lines()
            .map(|line| Piece::new("metrics", line))
            .collect();
        Captured {
            logs,
            spans,
            metrics,
            span_count: exported.len(),
            event_count,
        }
    }
}

/// A span's name, attributes, events (with theirs), links and status.
fn span_pieces(span: &SpanData) -> Vec<Piece> {
    assert_eq!(span.dropped_attributes_count, 0, "{}", span.name);
    assert_eq!(span.events.dropped_count, 0, "{}", span.name);
    let place = format!("span {:?}", span.name);
    let mut pieces = vec![Piece::new(place.clone(), span.name.clone())];
    for kv in &span.attributes {
        pieces.push(Piece::new(
            format!("{place} attribute {}", kv.key),
            format!("{}={}", kv.key, kv.value),
        ));
    }
    for event in span.events.iter() {
        let at = format!("{place} event {:?}", event.name);
        pieces.push(Piece::new(at.clone(), event.name.clone()));
        for kv in &event.attributes {
            pieces.push(Piece::new(
                format!("{at} attribute {}", kv.key),
                format!("{}={}", kv.key, kv.value),
            ));
        }
    }
    for link in span.links.iter() {
        for kv in &link.attributes {
            pieces.push(Piece::new(
                format!("{place} link attribute {}", kv.key),
                format!("{}={}", kv.key, kv.value),
            ));
        }
    }
    if let Status::Error { description } = &span.status {
        pieces.push(Piece::new(format!("{place} status"), description.clone()));
    }
    pieces
}
