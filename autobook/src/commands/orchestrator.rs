//! `autobook orchestrator`: the saga orchestrator role.

use metrics_exporter_prometheus::PrometheusHandle;

use autobook_orchestrator::runtime::{self, OrchestratorConfig};

use super::instance_name;
use crate::cli::{LogSettings, OrchestratorArgs};
use crate::{ops, services, shutdown};

pub async fn run(
    args: OrchestratorArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let instance = instance_name("orchestrator", args.instance.as_deref());
    let shutdown = shutdown::on_signal();
    services::ensure_database(&args.services.connections.database_url).await?;
    let (pool, broker) = services::connect(&args.services, &instance).await?;
    if let Some(addr) = logging.ops_addr {
        tokio::spawn(ops::serve(
            addr,
            Some(pool.clone()),
            Some(broker.clone()),
            metrics,
            shutdown.clone(),
        ));
    }
    let config = OrchestratorConfig {
        prefetch: args.prefetch,
        instance,
        ..OrchestratorConfig::default()
    };
    tracing::info!(namespace = %args.services.namespace, "orchestrator starting");
    runtime::run(pool.clone(), broker.clone(), config, shutdown).await?;
    broker.close().await;
    pool.close().await;
    Ok(())
}
