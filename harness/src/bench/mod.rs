//! `autobook bench`: throughput, latency and CPU per saga of the whole
//! system, against what this machine allows.
//!
//! - The system runs as separate processes (one orchestrator, one of each
//!   worker: [`system`]) on a fresh database and broker namespace, with the
//!   sandbox in this process at zero latency and without faults. Trips go
//!   in through the broker, closed-loop: `concurrency` in flight, a new one
//!   as one finishes ([`pacing`], [`driver`]).
//! - The measured window leaves out a warm-up and the drain. Over it: sagas
//!   per second, CPU seconds per saga of every process ([`proc_stats`]);
//!   for the sagas submitted in it: latencies from what the database
//!   recorded ([`records`]).
//! - `--floor` runs the same number of messages and commits per saga
//!   without our logic ([`floor`]) and reports our rate as a share of it.
//! - `--waiting N` reads a fresh orchestrator's memory with 0, N/10 and N
//!   sagas waiting ([`memory`]).
//! - Once the roles have stopped, the reconciliation job runs once against
//!   the sandbox's APIs and the database; the bench fails if it finds
//!   anything.
//!
//! The database is dropped and the namespace deleted afterwards; the role
//! logs are kept only when the run fails.

pub mod driver;
pub mod floor;
pub mod latency;
pub mod memory;
pub mod pacing;
pub mod proc_stats;
pub mod records;
pub mod report;
pub mod system;

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::Args;
use sqlx::PgPool;
use tokio::time::Instant;
use uuid::Uuid;

use autobook_broker::{Broker, BrokerAccess, MessageKeys, Publisher};
use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;
use autobook_contracts::trip::TripRequest;
use autobook_sandbox::{Faults, Ports, RunningSandbox, SandboxConfig};
use autobook_vault::Keyring;

use crate::chaos::children::Launcher;
use crate::demo::args::Scenario;
use autobook_roles::services;
use autobook_roles::settings::Connections;
use driver::{Window, drive};
use floor::{FloorShape, FloorWorkload};
use latency::Percentiles;
use pacing::Pacer;
use proc_stats::{Machine, Probe, round};
use report::{BenchReport, FloorReport};
use system::{Roles, TripWorkload, wait_until_consuming};

/// Options of `autobook bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Trips submitted in all (warm-up included).
    #[arg(long, default_value_t = 1000)]
    pub trips: usize,
    /// Trips kept in flight: a new one is submitted as one finishes.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Sagas that finish before the measured window opens (default: a
    /// fifth of the trips, at most 200).
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Also measure the floor: the same messages and commits per saga
    /// without our logic, on the same machine.
    #[arg(long)]
    pub floor: bool,
    /// Also measure a fresh orchestrator's memory with 0, N/10 and N sagas
    /// waiting (0: skip).
    #[arg(long, default_value_t = 0)]
    pub waiting: usize,
    /// Print one JSON object as the last line of stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Database connections per role process (the roles' default).
    #[arg(long, default_value_t = 8)]
    pub db_pool: u32,
    /// Seed of the trip generator and the sandbox.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Give up when no saga finishes for this many seconds.
    #[arg(long, default_value_t = 60)]
    pub stall_secs: u64,
    /// Database created afresh for the run (and dropped after it), on the
    /// DATABASE_URL server.
    #[arg(long, default_value = "autobook_bench")]
    pub database: String,
    /// Keep the database after the run, for inspection.
    #[arg(long)]
    pub keep_database: bool,
    /// Broker namespace of the run; deleted before and after.
    #[arg(long, default_value = "autobook-bench")]
    pub namespace: String,
    #[command(flatten)]
    pub connections: Connections,
}

impl BenchArgs {
    fn warmup(&self) -> usize {
        self.warmup.unwrap_or((self.trips / 5).min(200))
    }
}

/// Runs the bench and prints the report; fails unless every measured
/// trip was booked.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let interrupt = autobook_roles::shutdown::on_signal();
    // An interrupted run drops its role processes, which kills them.
    let report = tokio::select! {
        report = execute(&args) => report?,
        () = interrupt.cancelled() => bail!(
            "interrupted: database {} and namespace {} are left behind",
            args.database,
            args.namespace
        ),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        report.print();
    }
    if let Some(job) = report.reconciliation_job.as_ref().filter(|job| !job.ok) {
        bail!(
            "the reconciliation job does not agree with the records: {}",
            job.headline()
        );
    }
    if report.outcomes.not_booked > 0 || report.outcomes.unfinished > 0 {
        bail!(
            "not every trip was booked ({} not booked, {} unfinished): the figures are not of the happy path",
            report.outcomes.not_booked,
            report.outcomes.unfinished
        );
    }
    Ok(())
}

/// Runs the bench on a fresh database and namespace; returns its figures.
pub async fn execute(args: &BenchArgs) -> anyhow::Result<BenchReport> {
    Pacer::new(args.trips, args.concurrency, args.warmup())?;
    let log_dir = std::env::temp_dir().join(format!(
        "autobook-bench-{}-{}",
        args.namespace,
        Utc::now().format("%Y%m%dT%H%M%S")
    ));
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("creating the log directory {}", log_dir.display()))?;
    let database_url = services::recreate_database(&args.connections.database_url, &args.database)
        .await
        .context("creating the bench database (is PostgreSQL running? try infra/up.sh)")?;
    let topology = Topology::new(&args.namespace)?;
    let access = args.connections.broker_access_or_generated("bench")?;
    crate::demo::clear_topology(&access, &topology).await?;
    let sandbox = autobook_sandbox::start(
        SandboxConfig {
            faults: Faults::default(),
            seed: args.seed,
            seats_per_flight: 1_000_000,
            ..SandboxConfig::default()
        },
        Ports::ephemeral(),
    )
    .await
    .context("starting the sandbox")?;
    // A fresh key for a fresh database, shared with the role processes.
    let vault = Keyring::generate("bench")?;
    let launcher = Launcher {
        exe: std::env::current_exe().context("finding this executable")?,
        env: child_env(args, &vault, access.keys(), &database_url, &sandbox),
        log_dir: log_dir.clone(),
        epoch: Instant::now(),
    };
    let result = measure(
        args,
        &launcher,
        &access,
        &vault,
        &database_url,
        &topology,
        &sandbox,
    )
    .await;
    sandbox.shutdown().await;
    // A failed clean-up is reported, never put in place of the run's result.
    if let Err(error) = crate::demo::clear_topology(&access, &topology).await {
        eprintln!(
            "bench: could not delete namespace {}: {error:#}",
            args.namespace
        );
    }
    if !args.keep_database
        && let Err(error) =
            services::drop_database(&args.connections.database_url, &args.database).await
    {
        eprintln!(
            "bench: could not drop database {}: {error:#}",
            args.database
        );
    }
    match result {
        Ok(report) => {
            let _ = std::fs::remove_dir_all(&log_dir);
            Ok(report)
        }
        Err(error) => Err(error.context(format!("role logs in {}", log_dir.display()))),
    }
}

/// Environment of the role processes: this run's database, namespace and sandbox.
fn child_env(
    args: &BenchArgs,
    vault: &Keyring,
    keys: &MessageKeys,
    database_url: &str,
    sandbox: &RunningSandbox,
) -> Vec<(String, String)> {
    // The sandbox is on the other end: limits that never bind, still
    // checked in Redis as in production.
    let mut env = crate::chaos::role_env::role_env(
        &args.connections,
        vault,
        database_url,
        &args.namespace,
        args.db_pool,
        sandbox,
        1_000_000,
    );
    env.push(("AUTOBOOK_MESSAGE_KEYS".to_owned(), keys.expose_env_value()));
    env
}

/// Every phase: migrate, run the system, read the records, the memory
/// levels, stop the roles, then the floor.
async fn measure(
    args: &BenchArgs,
    launcher: &Launcher,
    access: &BrokerAccess,
    vault: &Keyring,
    database_url: &str,
    topology: &Topology,
    sandbox: &RunningSandbox,
) -> anyhow::Result<BenchReport> {
    crate::chaos::migrate(launcher).await?;
    let pool = autobook_orchestrator::db::connect(database_url, 4)
        .await
        .context("connecting to PostgreSQL")?;
    // It submits the trips as a foreign gateway would.
    let broker = access
        .connect(Identity::Publisher, "autobook-bench", topology.clone())
        .await
        .context("connecting to RabbitMQ as autobook-publisher")?;
    let mut roles = Roles::start(launcher.clone())?;
    let measured = run_system(args, &pool, &broker, vault, &mut roles).await;
    let graceful = roles.stop().await;
    broker.close().await;
    let mut report = measured?;
    if !graceful {
        eprintln!("bench: a role did not drain in time at the stop");
    }
    let job = crate::reconcile::job::after_local_run(
        &pool,
        vault,
        &autobook_orchestrator::clock::Clock::system(),
        &sandbox.stripe_url,
        &sandbox.duffel_url,
    )
    .await?;
    report.reconciliation_job = Some(job.verdict());
    if args.floor {
        let floor = run_floor(args, database_url, &report).await?;
        report.ratio_to_floor = Some(round(
            report.sagas_per_s / floor.sagas_per_s.max(f64::EPSILON),
            3,
        ));
        report.floor = Some(floor);
    }
    pool.close().await;
    Ok(report)
}

/// The happy scenario's trips, between hubs.
fn trips(args: &BenchArgs) -> Vec<TripRequest> {
    let today = Utc::now().date_naive();
    crate::demo::trips::generate_between(
        args.trips,
        Scenario::Happy,
        args.seed,
        today,
        crate::demo::trips::HUBS,
    )
    .into_iter()
    .map(|(_, trip)| trip)
    .collect()
}

/// The measured run of the system, its records, and the memory levels.
async fn run_system(
    args: &BenchArgs,
    pool: &PgPool,
    broker: &Broker,
    vault: &Keyring,
    roles: &mut Roles,
) -> anyhow::Result<BenchReport> {
    wait_until_consuming(broker).await?;
    let trips = trips(args);
    let template = trips[0].clone();
    // Trips go out as the gateway sends them: personal fields sealed.
    let publisher = Publisher::open(&broker.clone().with_vault(vault.clone())).await?;
    let mut workload = TripWorkload::new(pool.clone(), publisher, trips).await?;
    let stall = Duration::from_secs(args.stall_secs);
    eprintln!(
        "bench: {} trips, {} in flight, window after {} (role logs in {})",
        args.trips,
        args.concurrency,
        args.warmup(),
        roles.log_dir().display()
    );
    let probe = Probe::new(roles.pids());
    let pacer = Pacer::new(args.trips, args.concurrency, args.warmup())?;
    let window = drive(&mut workload, pacer, &probe, stall).await?;
    roles.check_running()?;
    let in_window = workload.submitted_between(window.opened_at, window.closed_at);
    let latencies = records::latencies(pool, &in_window).await?;
    let outcomes = records::outcomes(pool).await?;
    let work = records::work_per_saga(pool).await?;
    let memory = if args.waiting > 0 {
        roles.restart_orchestrator().await?;
        wait_until_consuming(broker).await?;
        let orchestrator = roles.orchestrator().context("no orchestrator running")?;
        let parking = memory::Parking {
            pool,
            vault,
            template: &template,
        };
        let levels = memory::measure(
            parking,
            orchestrator,
            &mut workload,
            args.waiting,
            args.concurrency,
            stall,
        )
        .await?;
        roles.check_running()?;
        Some(levels)
    } else {
        None
    };
    Ok(BenchReport {
        trips: args.trips,
        concurrency: args.concurrency,
        warmup: args.warmup(),
        measured_sagas: window.sagas,
        window_s: round(window.seconds(), 2),
        sagas_per_s: round(window.sagas_per_s(), 1),
        outcomes,
        end_to_end_ms: latencies.end_to_end,
        steps_ms: latencies.steps,
        provider_calls_ms: latencies.provider_calls,
        cpu: window.cpu.per_saga(window.sagas),
        work_per_saga: work,
        floor: None,
        ratio_to_floor: None,
        memory,
        machine: Machine::describe(),
        postgres: records::durability(pool).await?,
        reconciliation_job: None,
    })
}

/// The floor, with the measured run's work per saga and its pacing.
async fn run_floor(
    args: &BenchArgs,
    database_url: &str,
    report: &BenchReport,
) -> anyhow::Result<FloorReport> {
    let shape = FloorShape::from_work(&report.work_per_saga);
    eprintln!(
        "bench: floor of {} messages and {} commits per saga-equivalent",
        shape.messages, shape.commits
    );
    let mut workload = FloorWorkload::open(
        &args.connections.amqp_url,
        database_url,
        &args.namespace,
        shape,
        args.concurrency,
    )
    .await?;
    let pacer = Pacer::new(args.trips, args.concurrency, args.warmup())?;
    let probe = Probe::new(Vec::new());
    let driven = drive(
        &mut workload,
        pacer,
        &probe,
        Duration::from_secs(args.stall_secs),
    )
    .await;
    let latencies = driven
        .as_ref()
        .ok()
        .map(|window| floor_latencies(window, &workload.started, &workload.ended));
    workload.close().await;
    let window = driven?;
    let rate = window.sagas_per_s();
    Ok(FloorReport {
        shape,
        concurrency: args.concurrency,
        measured: window.sagas,
        window_s: round(window.seconds(), 2),
        sagas_per_s: round(rate, 1),
        messages_per_s: round(rate * shape.messages as f64, 0),
        commits_per_s: round(rate * shape.commits as f64, 0),
        end_to_end_ms: latencies.unwrap_or(Percentiles::of(Vec::new())),
        cpu: window.cpu.per_saga(window.sagas),
    })
}

/// End-to-end latencies of the floor chains started inside the window.
fn floor_latencies(
    window: &Window,
    started: &HashMap<Uuid, DateTime<Utc>>,
    ended: &HashMap<Uuid, DateTime<Utc>>,
) -> Percentiles {
    let samples = started
        .iter()
        .filter(|(_, at)| **at >= window.opened_at && **at <= window.closed_at)
        .filter_map(|(id, at)| ended.get(id).map(|end| *end - *at))
        .map(|d| d.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0)
        .collect();
    Percentiles::of(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_warm_up_is_a_fifth_up_to_two_hundred() {
        let args = |trips, warmup| BenchArgs {
            trips,
            concurrency: 4,
            warmup,
            floor: false,
            waiting: 0,
            json: false,
            db_pool: 10,
            seed: 1,
            stall_secs: 60,
            database: "d".into(),
            keep_database: false,
            namespace: "n".into(),
            connections: Connections {
                database_url: String::new(),
                amqp_url: String::new(),
                redis_url: String::new(),
                message_keys: None,
            },
        };
        assert_eq!(args(20, None).warmup(), 4);
        assert_eq!(args(5000, None).warmup(), 200);
        assert_eq!(args(5000, Some(7)).warmup(), 7);
    }
}
