//! `autobook worker <roles>`: one or more worker roles.

use anyhow::{Context, anyhow};

use autobook_workers::worker::throttle::Throttle;
use metrics_exporter_prometheus::PrometheusHandle;

use super::{Role, instance_name};
use crate::cli::{LogSettings, WorkerArgs};
use crate::settings::worker_kinds;

pub async fn run(
    args: WorkerArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let kinds = worker_kinds(&args.roles).map_err(|e| anyhow!(e))?;
    let instance = instance_name("worker", args.instance.as_deref());
    let vault = args.services.vault()?;
    let role = Role::start(&args.services, &instance, logging, metrics).await?;
    let limits = args.providers.rate_limits();
    let throttle = Throttle::redis(
        &args.services.connections.redis_url,
        &args.services.namespace,
        limits,
    )
    .context("REDIS_URL")?;
    let config = args
        .providers
        .worker_config(args.prefetch, instance, throttle);
    let flags = args
        .services
        .flags
        .open(&args.services.connections.database_url)
        .await?;
    tracing::info!(roles = ?kinds, data_key = vault.active_kid(), "workers starting");
    let result = autobook_workers::run(
        &kinds,
        role.pool.clone(),
        role.broker.clone(),
        vault,
        config,
        flags,
        role.shutdown.clone(),
    )
    .await;
    role.close().await;
    Ok(result?)
}
