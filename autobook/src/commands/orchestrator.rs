//! `autobook orchestrator`: the saga orchestrator role.

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;

use autobook_contracts::senders::Identity;
use autobook_orchestrator::privacy::erasure::ErasureConfig;
use autobook_orchestrator::runtime::{self, OrchestratorConfig};
use autobook_orchestrator::sampler::SamplerConfig;

use super::{Role, instance_name};
use crate::args::OrchestratorArgs;
use autobook_roles::log_settings::LogSettings;

pub async fn run(
    args: OrchestratorArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let instance = instance_name("orchestrator", args.instance.as_deref());
    let vault = args.services.vault()?;
    let pseudonym_key = autobook_roles::settings::pseudonym_key(args.pseudonym_key.as_ref())?;
    let role = Role::start(
        &args.services,
        &[Identity::Orchestrator],
        &instance,
        logging,
        metrics,
    )
    .await?;
    let config = OrchestratorConfig {
        prefetch: args.prefetch,
        sampler: SamplerConfig {
            interval: Duration::from_millis(args.metrics_interval_ms.max(100)),
        },
        instance,
        policy: args.watch.policy()?,
        retention: args.retention.config(),
        pruning: args.pruning.config(),
        erasure: ErasureConfig {
            key: pseudonym_key,
            ..ErasureConfig::default()
        },
        ..OrchestratorConfig::default()
    };
    tracing::info!(namespace = %args.services.namespace, data_key = vault.active_kid(), "orchestrator starting");
    let flags = args
        .services
        .flags
        .open(&args.services.connections.database_url)
        .await?;
    let result = runtime::run(
        role.pool.clone(),
        role.broker(Identity::Orchestrator)?,
        flags,
        vault,
        config,
        role.shutdown.clone(),
    )
    .await;
    role.close().await;
    Ok(result?)
}
