//! `autobook worker <roles>`: one or more worker roles.

use anyhow::{Context, anyhow};

use autobook_workers::worker::throttle::Throttle;
use metrics_exporter_prometheus::PrometheusHandle;

use super::instance_name;
use crate::cli::{LogSettings, WorkerArgs};
use crate::settings::worker_kinds;
use crate::{ops, services, shutdown};

pub async fn run(
    args: WorkerArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let kinds = worker_kinds(&args.roles).map_err(|e| anyhow!(e))?;
    let instance = instance_name("worker", args.instance.as_deref());
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
    let throttle = Throttle::redis(
        &args.services.connections.redis_url,
        &args.services.namespace,
        args.providers.rate_limits(),
    )
    .context("REDIS_URL")?;
    let config = args
        .providers
        .worker_config(args.prefetch, instance, throttle);
    tracing::info!(roles = ?kinds, "workers starting");
    autobook_workers::run(&kinds, pool.clone(), broker.clone(), config, shutdown).await?;
    broker.close().await;
    pool.close().await;
    Ok(())
}
