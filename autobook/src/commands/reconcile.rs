//! `autobook reconcile`: the reconciliation job as a role (a run every
//! interval, one instance at a time through a Redis lease), or one run
//! with `--once` that prints its report and fails when it is not ok. The
//! job itself is the crate `autobook-reconcile`.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use metrics_exporter_prometheus::PrometheusHandle;

use autobook_orchestrator::clock::Clock;
use autobook_reconcile::schedule::{run_every, run_leased};
use autobook_reconcile::{Job, Limits, Settings};
use autobook_throttle::Throttle;
use autobook_workers::lease::Leases;
use autobook_workers::providers::{ApiKey, ProviderConfig};

use super::instance_name;
use autobook_gateway::webhooks::recent::RecordedEvents;
use autobook_harness::reconcile::job::providers;
use autobook_roles::log_settings::LogSettings;
use autobook_roles::settings::{ProviderSettings, ServiceSettings};
use autobook_roles::{ops, shutdown};

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub services: ServiceSettings,
    #[command(flatten)]
    pub providers: ProviderSettings,
    /// Run once, print the report and exit: non-zero when it is not ok
    /// (findings, or a listing that could not be read to its end).
    #[arg(long)]
    pub once: bool,
    /// With --once: print one JSON object instead of text.
    #[arg(long, requires = "once")]
    pub json: bool,
    /// Seconds between runs.
    #[arg(long, env = "AUTOBOOK_RECONCILE_INTERVAL_SECS", default_value_t = 600)]
    pub interval_secs: u64,
    /// Provider objects created within this many hours are read.
    #[arg(long, env = "AUTOBOOK_RECONCILE_WINDOW_HOURS", default_value_t = 48)]
    pub window_hours: u64,
    /// Objects younger than this many seconds are not judged; an orphaned
    /// hold older than this is released.
    #[arg(long, env = "AUTOBOOK_RECONCILE_GRACE_SECS", default_value_t = 900)]
    pub grace_secs: u64,
    /// Report only: release nothing.
    #[arg(long, env = "AUTOBOOK_RECONCILE_READ_ONLY")]
    pub read_only: bool,
    /// Pages read per provider listing (100 intents or refunds, 200 orders
    /// a page); a listing with more is reported incomplete.
    #[arg(long, env = "AUTOBOOK_RECONCILE_MAX_PAGES", default_value_t = 50)]
    pub max_pages: u32,
    /// Objects read one by one per run (intents and orders our records or
    /// webhook events name that no listing showed).
    #[arg(long, env = "AUTOBOOK_RECONCILE_MAX_LOOKUPS", default_value_t = 1000)]
    pub max_lookups: usize,
    /// Name of this instance (the lease holder, the audit of releases).
    #[arg(long, env = "AUTOBOOK_INSTANCE")]
    pub instance: Option<String>,
}

impl ReconcileArgs {
    /// The job's settings.
    pub fn settings(&self, instance: String) -> anyhow::Result<Settings> {
        anyhow::ensure!(self.window_hours > 0, "--window-hours must be above 0");
        anyhow::ensure!(self.max_pages > 0, "--max-pages must be above 0");
        Ok(Settings {
            window: Duration::from_secs(self.window_hours.saturating_mul(3600)),
            grace: Duration::from_secs(self.grace_secs),
            limits: Limits {
                max_pages: self.max_pages,
                max_lookups: self.max_lookups,
                ..Limits::default()
            },
            repair: !self.read_only,
            instance,
        })
    }

    fn provider(&self, url: &str, key: &str) -> ProviderConfig {
        let mut config = ProviderConfig::new(url, ApiKey::new(key));
        config.timeout = Duration::from_millis(self.providers.provider_timeout_ms);
        config
    }
}

pub async fn run(
    args: ReconcileArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let instance = instance_name("reconcile", args.instance.as_deref());
    let settings = args.settings(instance)?;
    let vault = args.services.vault()?;
    let pool = autobook_ops::connect_database(&args.services).await?;
    let leases = Leases::redis(
        &args.services.connections.redis_url,
        &args.services.namespace,
    )
    .context("REDIS_URL")?;
    autobook_reconcile::metric_definitions::init();
    let p = &args.providers;
    let mut clients = providers(
        args.provider(&p.stripe_base_url, &p.stripe_api_key),
        args.provider(&p.duffel_base_url, &p.duffel_api_key),
    )?;
    // The workers' shared rate limit: the job's calls count against it.
    clients.throttle = Throttle::redis(
        &args.services.connections.redis_url,
        &args.services.namespace,
        p.rate_limits(),
    )
    .context("REDIS_URL")?;
    let job = Job {
        pool: pool.clone(),
        vault,
        providers: clients,
        events: RecordedEvents(pool.clone()),
        clock: Clock::system(),
        settings,
    };
    let result = if args.once {
        once(&job, &leases, args.json).await
    } else {
        let shutdown = shutdown::on_signal();
        if let Some(addr) = logging.ops_addr {
            ops::spawn(
                addr,
                Some(pool.clone()),
                Vec::new(),
                metrics,
                shutdown.clone(),
            );
        }
        tracing::info!(
            interval_secs = args.interval_secs,
            repair = job.settings.repair,
            "reconciliation job starting"
        );
        run_every(
            &job,
            Some(&leases),
            Duration::from_secs(args.interval_secs),
            shutdown,
        )
        .await;
        Ok(())
    };
    pool.close().await;
    result
}

async fn once(job: &Job<RecordedEvents>, leases: &Leases, json: bool) -> anyhow::Result<()> {
    let Some(result) = run_leased(job, leases).await else {
        bail!(
            "another instance holds the reconciliation lease, or Redis cannot be reached (REDIS_URL)"
        );
    };
    let report = result?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.render());
    }
    anyhow::ensure!(
        report.ok,
        "reconciliation is not ok: {}",
        report.verdict().headline()
    );
    Ok(())
}
