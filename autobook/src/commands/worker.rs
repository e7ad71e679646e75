//! `autobook worker <roles>`: one or more worker roles, each kind on a
//! broker connection of its own, as its own identity.

use anyhow::{Context, anyhow};
use futures_util::future::join_all;

use autobook_throttle::Throttle;
use metrics_exporter_prometheus::PrometheusHandle;

use super::{Role, instance_name};
use crate::args::WorkerArgs;
use autobook_roles::broker_access::worker_identity;
use autobook_roles::log_settings::LogSettings;
use autobook_roles::settings::worker_kinds;

pub async fn run(
    args: WorkerArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let kinds = worker_kinds(&args.roles).map_err(|e| anyhow!(e))?;
    let instance = instance_name("worker", args.instance.as_deref());
    let vault = args.services.vault()?;
    let identities: Vec<_> = kinds.iter().map(|k| worker_identity(*k)).collect();
    let role = Role::start(&args.services, &identities, &instance, logging, metrics).await?;
    let limits = args.providers.rate_limits();
    let throttle = Throttle::redis(
        &args.services.connections.redis_url,
        &args.services.namespace,
        limits,
    )
    .context("REDIS_URL")?;
    let config = autobook_workers::WorkerConfig {
        pruning: args.pruning.config(),
        ..args
            .providers
            .worker_config(args.prefetch, instance, throttle)
    };
    let flags = args
        .services
        .flags
        .open(&args.services.connections.database_url)
        .await?;
    tracing::info!(roles = ?kinds, data_key = vault.active_kid(), "workers starting");
    let mut runs = Vec::with_capacity(kinds.len());
    for kind in &kinds {
        let broker = role.broker(worker_identity(*kind))?;
        let (pool, vault, config, flags) = (
            role.pool.clone(),
            vault.clone(),
            config.clone(),
            flags.clone(),
        );
        let shutdown = role.shutdown.clone();
        runs.push(async move {
            let result = autobook_workers::run(
                &[*kind],
                pool,
                broker,
                vault,
                config,
                flags,
                shutdown.clone(),
            )
            .await;
            // One kind that cannot run stops the others: the process is
            // whole or not at all.
            if result.is_err() {
                shutdown.cancel();
            }
            result
        });
    }
    let results = join_all(runs).await;
    role.close().await;
    for result in results {
        result?;
    }
    Ok(())
}
