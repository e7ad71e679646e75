//! The Prometheus recorder every process installs: histogram buckets (real
//! histograms, so percentiles can be aggregated across instances), and the
//! descriptions of every crate's metrics (`metric_definitions`).

use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

/// Bucket bounds of every `*_seconds` histogram: from 5 ms (a database
/// round trip) to an hour (a saga waiting on re-checks and retries).
pub const SECONDS_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
    1800.0, 3600.0,
];

/// The recorder, not yet installed.
pub fn builder() -> Result<PrometheusBuilder, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
}

/// Installs the recorder globally and describes every metric. None when a
/// recorder is installed already.
pub fn install() -> Option<PrometheusHandle> {
    let handle = builder().ok()?.install_recorder().ok()?;
    describe_all();
    Some(handle)
}

/// Registers every crate's descriptions and units with the installed recorder.
pub fn describe_all() {
    autobook_broker::metric_definitions::describe();
    autobook_orchestrator::metric_definitions::describe();
    autobook_workers::metric_definitions::describe();
    autobook_throttle::metric_definitions::describe();
    autobook_gateway::metric_definitions::describe();
    autobook_reconcile::metric_definitions::describe();
}
