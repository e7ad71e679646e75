//! Logging (structured JSON by default) and the Prometheus recorder.
//!
//! Logs carry saga and message ids, never personal data: the types that
//! hold personal data print as `<redacted>`.

use metrics_exporter_prometheus::PrometheusHandle;
use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Installs the global subscriber. `RUST_LOG` overrides the default filter.
pub fn init_logging(format: LogFormat, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Installs the Prometheus recorder and describes every metric.
pub fn init_metrics() -> Option<PrometheusHandle> {
    crate::metrics_recorder::install()
}
