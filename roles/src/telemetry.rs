//! The Prometheus recorder. Logs are set up in [`crate::logging`], traces
//! in [`crate::traces`].

use metrics_exporter_prometheus::PrometheusHandle;

/// Installs the Prometheus recorder and describes every metric.
pub fn init_metrics() -> Option<PrometheusHandle> {
    crate::metrics_recorder::install()
}
