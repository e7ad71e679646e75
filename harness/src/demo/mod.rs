//! `autobook demo`: the whole system in one process against the real
//! PostgreSQL and RabbitMQ, with the sandbox as the providers. Trip
//! requests go in through the broker (or, with `--via-gateway`, over HTTP
//! through the gateway); a progress bar follows the sagas;
//! the summary reconciles every saga with the sandbox's ledger, and runs the
//! production reconciliation job once against the sandbox's APIs. With
//! `--hostile` a publisher with another role's credentials forges replies
//! and commands for every saga alongside ([`hostile`]).

pub mod args;
pub mod console;
pub mod hostile;
pub mod summary;
pub mod trips;
pub mod via_gateway;
pub mod watch;

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_broker::BrokerAccess;
use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;
use autobook_contracts::trip::TripRequest;
use autobook_orchestrator::admin::figures;
use autobook_orchestrator::saga::{Phase, Saga};
use autobook_orchestrator::store::SAGA_FINISHED_CHANNEL;
use autobook_sandbox::{Faults, SandboxConfig};
use autobook_vault::Keyring;

use crate::demo::args::DemoArgs;
use crate::demo::args::Scenario;
use crate::reconcile::reconcile;
use crate::stack::{Stack, StackConfig};
use autobook_roles::log_settings::LogSettings;
use autobook_roles::ops;
use autobook_roles::services;
use summary::{Finished, summarize};
use watch::WatchScenario;

/// Runs the demo, prints the summary (and the JSON line with `--json`),
/// and fails unless every saga finished and both the ledger and the
/// reconciliation job agree with every saga. With
/// `--ops-addr` the run's metrics are served while it lasts (and, with
/// `--console`, while the console stays open).
pub async fn run(
    args: DemoArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let serving = CancellationToken::new();
    if let Some(addr) = logging.ops_addr {
        ops::spawn(addr, None, Vec::new(), metrics, serving.clone());
    }
    let run = execute_keeping_console(&args, |_| {}).await;
    let (summary, console) = match run {
        Ok(done) => done,
        Err(error) => {
            serving.cancel();
            return Err(error);
        }
    };
    summary.print();
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    // With the console open, the run's metrics stay served as long.
    if let Some(console) = console {
        console.until_interrupted().await?;
    }
    serving.cancel();
    if summary.lost > 0 || !summary.reconciled() {
        bail!(
            "the run is not clean: {} lost, reconciliation ok = {}, reconciliation job ok = {}",
            summary.lost,
            summary.reconciliation.ok,
            summary.reconciliation_job.ok
        );
    }
    if let Some(hostile) = summary.hostile.as_ref().filter(|h| !h.all_refused()) {
        bail!(
            "{} of {} forgeries were not refused",
            hostile.accepted,
            hostile.forged
        );
    }
    if let Some(watch) = summary.watch.as_ref().filter(|w| !w.clean()) {
        bail!(
            "the watch is not clean: {} released after a fare within the limit was seen, \
             {} booked over the limit, {} searches refused for the rate",
            watch.missed,
            watch.over_limit,
            watch.duffel_rate_limited
        );
    }
    Ok(())
}

/// Runs the demo against a fresh database and namespace; returns its figures.
pub async fn execute(args: &DemoArgs) -> anyhow::Result<summary::Summary> {
    execute_with(args, |_| {}).await
}

/// Like [`execute`], after `configure` adjusted the stack (instances,
/// test switches).
pub async fn execute_with(
    args: &DemoArgs,
    configure: impl FnOnce(&mut StackConfig),
) -> anyhow::Result<summary::Summary> {
    let (summary, console) = execute_keeping_console(args, configure).await?;
    if let Some(console) = console {
        console.stop().await?;
    }
    Ok(summary)
}

/// Like [`execute_with`]; with `--console`, the console started on the
/// demo's database is returned still serving.
pub async fn execute_keeping_console(
    args: &DemoArgs,
    configure: impl FnOnce(&mut StackConfig),
) -> anyhow::Result<(summary::Summary, Option<console::DemoConsole>)> {
    let database_url = services::recreate_database(&args.connections.database_url, &args.database)
        .await
        .context("creating the demo database (is PostgreSQL running? try infra/up.sh)")?;
    let topology = Topology::new(&args.namespace)?;
    let access = args.connections.broker_access_or_generated("demo")?;
    clear_topology(&access, &topology).await?;
    let mut config = StackConfig::new(database_url.clone(), access.clone(), topology.clone());
    config.redis_url = Some(args.connections.redis_url.clone());
    if let Some(keys) = &args.data_keys {
        config.vault = keys.keyring()?;
    }
    config.sandbox = SandboxConfig {
        faults: Faults::scenario(args.scenario.as_str()).unwrap_or_default(),
        seed: args.seed,
        ..SandboxConfig::default()
    };
    let today = Utc::now().date_naive();
    let generated: Vec<TripRequest> = if args.scenario == Scenario::Watch {
        let scenario = WatchScenario::lasting(Duration::from_secs(args.watch_secs));
        scenario.configure(&mut config, args.seed);
        trips::generate_watched(args.trips, args.seed, today, scenario.limits)
    } else {
        // These scenarios book or fail at once; only `watch` watches.
        config.orchestrator.policy.watch = None;
        trips::generate(args.trips, args.scenario, args.seed, today)
            .into_iter()
            .map(|(_, trip)| trip)
            .collect()
    };
    let gateway_run = args
        .via_gateway
        .then(|| via_gateway::GatewayRun::configure(&mut config, &args.connections.redis_url));
    configure(&mut config);
    let console_vault = config.vault.clone();
    let stack = Stack::start(config).await?;
    let console = if args.console {
        Some(
            console::start(
                &args.console_settings,
                &database_url,
                console_vault,
                &access,
                &topology,
            )
            .await?,
        )
    } else {
        None
    };
    let mut finished = PgListener::connect_with(&stack.pool).await?;
    finished.listen(SAGA_FINISHED_CHANNEL).await?;
    let started = Utc::now();
    let mut submitted = HashMap::with_capacity(generated.len());
    let mut gateway_figures = None;
    match (&gateway_run, stack.gateway_url()) {
        (Some(run), Some(url)) => {
            let (accepted, figures) = run.submit_all(url, generated).await?;
            submitted.extend(accepted);
            gateway_figures = Some(figures);
        }
        _ => {
            for trip in generated {
                let saga_id = Uuid::now_v7();
                stack.submit(saga_id, trip).await?;
                submitted.insert(saga_id, Utc::now());
            }
        }
    }
    let forged = if args.hostile {
        let sagas: Vec<Uuid> = submitted.keys().copied().collect();
        Some(hostile::forge(&access, &topology, &sagas).await?)
    } else {
        None
    };
    wait(
        &stack.pool,
        finished,
        args.trips,
        Duration::from_secs(args.timeout_secs),
        !args.json,
    )
    .await?;
    let sagas = collect(&stack.pool, &stack.vault, &submitted).await?;
    let phases: Vec<(Uuid, Phase)> = sagas
        .iter()
        .filter_map(|(id, s)| s.phase.clone().map(|p| (*id, p)))
        .collect();
    if let Some(figures) = gateway_figures.as_mut() {
        stack
            .sandbox
            .webhooks_settled(Duration::from_secs(10))
            .await;
        figures.webhooks_recorded =
            autobook_gateway::webhooks::recent::recorded_count(&stack.pool).await?;
    }
    let hostile = match &forged {
        Some(sent) => Some(hostile::judge(&stack.pool, sent).await?),
        None => None,
    };
    let ledger = stack.sandbox.ledger();
    let report = reconcile(&phases, &ledger);
    let job = crate::reconcile::job::after_local_run(
        &stack.pool,
        &stack.vault,
        &stack.clock,
        &stack.sandbox.stripe_url,
        &stack.sandbox.duffel_url,
    )
    .await?;
    stack.stop().await?;
    clear_topology(&access, &topology).await?;
    let records: Vec<Finished> = sagas.into_iter().map(|(_, s)| s).collect();
    let mut summary = summarize(
        args.scenario.as_str(),
        &records,
        started,
        report,
        job.verdict(),
        args.database.clone(),
    );
    if gateway_figures.is_some() {
        summary.via = "gateway";
        summary.gateway = gateway_figures;
    }
    summary.hostile = hostile;
    if args.scenario == Scenario::Watch {
        let watched: Vec<watch::WatchedTrip<'_>> = records
            .iter()
            .filter_map(|r| {
                Some(watch::WatchedTrip {
                    phase: r.phase.as_ref(),
                    max_price: r.max_price?,
                    cheapest_seen: r.cheapest_seen,
                    searches: r.epoch,
                })
            })
            .collect();
        summary.watch = Some(watch::figures(&watched, &ledger));
    }
    Ok((summary, console))
}

/// Deletes queues and exchanges left by an earlier run (as ops).
pub(crate) async fn clear_topology(
    access: &BrokerAccess,
    topology: &Topology,
) -> anyhow::Result<()> {
    let broker = access
        .connect(Identity::Ops, "autobook-demo-setup", topology.clone())
        .await
        .context(
            "connecting to RabbitMQ as autobook-ops (is it running, with autobook's users? \
             try infra/up.sh)",
        )?;
    let _ = autobook_broker::declare::delete_topology(&broker).await;
    broker.close().await;
    Ok(())
}

/// Waits until every saga is terminal or the timeout passes, redrawing the
/// progress bar whenever sagas finish (NOTIFY on the finished-saga channel).
pub(crate) async fn wait(
    pool: &PgPool,
    mut finished: PgListener,
    trips: usize,
    timeout: Duration,
    show: bool,
) -> anyhow::Result<()> {
    let bar = if show {
        ProgressBar::new(trips as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} sagas finished {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let outcomes = figures::outcomes(pool).await?;
        let done = usize::try_from(outcomes.finished).unwrap_or(0);
        let booked = outcomes.booked;
        bar.set_position(done as u64);
        bar.set_message(format!("({booked} booked)"));
        if done >= trips || tokio::time::Instant::now() >= deadline {
            bar.finish();
            return Ok(());
        }
        // Woken by the next finished saga; at least once a second for the spinner.
        let wake = tokio::time::Instant::now() + Duration::from_secs(1);
        let _ = tokio::time::timeout_at(wake.min(deadline), finished.recv()).await;
        while finished.next_buffered().is_some() {}
    }
}

/// Every submitted saga with its final phase (None if it never started or finished).
pub(crate) async fn collect(
    pool: &PgPool,
    vault: &Keyring,
    submitted: &HashMap<Uuid, DateTime<Utc>>,
) -> anyhow::Result<Vec<(Uuid, Finished)>> {
    let mut stored: HashMap<Uuid, (Saga, Option<DateTime<Utc>>, bool)> =
        figures::every_saga(pool, vault)
            .await
            .context("reading the sagas")?
            .into_iter()
            .map(|row| (row.id, (row.saga, row.completed_at, row.terminal)))
            .collect();
    Ok(submitted
        .iter()
        .map(|(id, submitted_at)| {
            let finished = match stored.remove(id) {
                Some((saga, completed_at, terminal)) => Finished {
                    max_price: Some(saga.trip.max_price),
                    cheapest_seen: saga.cheapest_seen,
                    reprices: saga.reprices,
                    phase: Some(saga.phase),
                    epoch: saga.epoch,
                    submitted_at: *submitted_at,
                    completed_at: if terminal { completed_at } else { None },
                },
                None => Finished {
                    max_price: None,
                    cheapest_seen: None,
                    reprices: 0,
                    phase: None,
                    epoch: 0,
                    submitted_at: *submitted_at,
                    completed_at: None,
                },
            };
            (*id, finished)
        })
        .collect())
}
