//! Traces: autobook's spans exported as OpenTelemetry spans over OTLP.
//!
//! Off by default. Export is on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, unless
//! `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Spans go in
//! batches, from a thread of their own, over OTLP/HTTP with protobuf; the
//! exporter reads the other standard variables too
//! (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, ...). The
//! service is named by `OTEL_SERVICE_NAME`, else `autobook-<role>`.
//!
//! When export is off no trace layer is installed: spans then cost what
//! logging costs, and the W3C trace context still travels with every
//! message (see `autobook_broker::propagation`).

use anyhow::Context;
use opentelemetry::trace::TracerProvider;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Level;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;

use crate::logging::BoxedLayer;

/// A running OTLP export.
pub struct TraceExport {
    provider: SdkTracerProvider,
}

impl TraceExport {
    /// Starts exporting if the environment asks for it.
    pub fn from_env(service: &str) -> anyhow::Result<Option<TraceExport>> {
        if !export_requested(|name| std::env::var(name).ok()) {
            return Ok(None);
        }
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .build()
            .context("OTLP trace export (OTEL_EXPORTER_OTLP_*)")?;
        let resource = match std::env::var("OTEL_SERVICE_NAME") {
            Ok(name) if !name.is_empty() => Resource::builder().build(),
            _ => Resource::builder()
                .with_service_name(service.to_owned())
                .build(),
        };
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource)
            .build();
        Ok(Some(TraceExport { provider }))
    }

    /// The layer turning spans into exported spans.
    pub fn layer(&self) -> BoxedLayer {
        layer(self.provider.tracer("autobook"))
    }

    /// Sends what is still buffered, then stops.
    pub async fn shutdown(self) {
        let provider = self.provider;
        let flushed = tokio::task::spawn_blocking(move || provider.shutdown()).await;
        if let Ok(Err(error)) = flushed {
            tracing::warn!(%error, "could not export the last spans");
        }
    }
}

/// Whether the environment (`var`) asks for OTLP trace export.
pub fn export_requested(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).is_some_and(|value| !value.trim().is_empty());
    let disabled = var("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        || var("OTEL_TRACES_EXPORTER").is_some_and(|v| v.trim().eq_ignore_ascii_case("none"));
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) && !disabled
}

/// The trace layer for `tracer`: autobook's own spans (info and above),
/// never those of the libraries underneath.
pub fn layer(tracer: SdkTracer) -> BoxedLayer {
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_threads(false)
        .with_filter(Targets::new().with_target("autobook", Level::INFO))
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn export_is_off_unless_an_endpoint_is_set() {
        assert!(!export_requested(env(&[])));
        assert!(!export_requested(env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            " "
        )])));
        assert!(!export_requested(env(&[("OTEL_SERVICE_NAME", "x")])));
        assert!(export_requested(env(&[(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "http://127.0.0.1:4318"
        )])));
        assert!(export_requested(env(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://127.0.0.1:4318/v1/traces"
        )])));
    }

    #[test]
    fn export_can_be_switched_off_the_standard_ways() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        assert!(!export_requested(env(&[
            endpoint,
            ("OTEL_SDK_DISABLED", "TRUE")
        ])));
        assert!(!export_requested(env(&[
            endpoint,
            ("OTEL_TRACES_EXPORTER", "none")
        ])));
        assert!(export_requested(env(&[
            endpoint,
            ("OTEL_SDK_DISABLED", "false")
        ])));
    }
}
