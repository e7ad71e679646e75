//! The Prometheus recorder. Logs are set up in [`crate::logging`], traces
//! in [`crate::traces`].

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Installs the Prometheus recorder and describes every metric.
pub fn init_metrics() -> Option<PrometheusHandle> {
    let handle = PrometheusBuilder::new().install_recorder().ok()?;
    autobook_broker::metric_definitions::describe();
    autobook_orchestrator::metric_definitions::describe();
    autobook_workers::metric_definitions::describe();
    autobook_workers::providers::telemetry::describe_metrics();
    Some(handle)
}
