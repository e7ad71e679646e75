//! `autobook chaos`: the whole system as separate processes of this
//! binary (orchestrators and every worker, two of each by default), killed
//! with SIGKILL and restarted at random moments while trips flow, with one
//! RabbitMQ restart in the middle; then a check that no saga was lost or
//! doubled.
//!
//! - The sandbox runs in this process (it is never killed); the children
//!   find it, the database and the broker through the environment only,
//!   exactly as deployed roles would.
//! - The plan (trip pacing, kill moments, victims, restart pauses, the
//!   broker restart) is drawn from the seed up front ([`schedule`]).
//! - Children are kept by [`children`]: restarted after a kill, and after
//!   an exit of their own, which is counted as a self-exit.
//! - After the chaos period the run waits until every saga is terminal,
//!   stops the children with SIGTERM (graceful drain), and reconciles the
//!   sagas with the sandbox ledger and runs the reconciliation job once,
//!   like the demo ([`report`]).

mod args;
pub mod broker;
pub mod census;
pub mod children;
pub mod gateway_child;
mod period;
pub mod provider_faults;
pub mod report;
pub mod role_env;
pub mod schedule;
pub mod submit;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use chrono::Utc;
use sqlx::postgres::PgListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_contracts::Topology;
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::store::SAGA_FINISHED_CHANNEL;
use autobook_sandbox::{Behaviour, Faults, Ports, SandboxConfig};
use autobook_vault::Keyring;

use crate::demo::summary::{Finished, summarize};
use crate::reconcile::reconcile;
use autobook_roles::services;
use census::{archived_dead_letters, extra_sagas, merge_counts, unfinished};
use children::{Launcher, Order, Slot};
use gateway_child::GatewayChild;
use period::{all_up, drive, print_status};
use report::ChaosSummary;

pub use args::ChaosArgs;
pub(crate) use period::migrate;
use schedule::PlanConfig;

/// Children get this long to drain after SIGTERM at the end.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// Runs the chaos, prints the summary (and the JSON line with `--json`),
/// and fails unless every saga finished and the ledger reconciles.
pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    let summary = execute(&args).await?;
    summary.print();
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    if !summary.clean() {
        bail!(
            "the chaos run is not clean: {} lost, reconciliation ok = {} (logs in {})",
            summary.run.lost,
            summary.run.reconciliation.ok,
            summary.log_dir
        );
    }
    Ok(())
}

/// Runs the chaos against a fresh database and namespace; returns its figures.
pub async fn execute(args: &ChaosArgs) -> anyhow::Result<ChaosSummary> {
    ensure!(args.duration > 0, "--duration must be at least 1 second");
    ensure!(
        args.kills_per_minute.is_finite() && args.kills_per_minute >= 0.0,
        "--kills-per-minute must be a number of at least 0"
    );
    ensure!(
        args.orchestrators > 0 && args.workers > 0,
        "at least one orchestrator and one of each worker"
    );
    let interrupt = autobook_roles::shutdown::on_signal();
    let duration = Duration::from_secs(args.duration);
    let log_dir = match &args.log_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!(
            "autobook-chaos-{}-{}",
            args.namespace,
            Utc::now().format("%Y%m%dT%H%M%S")
        )),
    };
    std::fs::create_dir_all(&log_dir)
        .with_context(|| format!("creating the log directory {}", log_dir.display()))?;
    eprintln!("chaos: child logs in {}", log_dir.display());

    let database_url = services::recreate_database(&args.connections.database_url, &args.database)
        .await
        .context("creating the chaos database (is PostgreSQL running? try infra/up.sh)")?;
    let topology =
        Topology::new(&args.namespace)?.with_retry_delays_ms(args.retry_delays_ms.clone());
    let access = args.connections.broker_access_or_generated("chaos")?;
    crate::demo::clear_topology(&access, &topology).await?;
    let scenario_faults = Faults::scenario(args.scenario.as_str()).unwrap_or_default();
    let sandbox = autobook_sandbox::start(
        SandboxConfig {
            faults: if args.provider_faults {
                provider_faults::faults(scenario_faults)
            } else {
                scenario_faults
            },
            behaviour: if args.provider_faults {
                provider_faults::behaviour()
            } else {
                Behaviour::default()
            },
            seed: args.seed,
            ..SandboxConfig::default()
        },
        Ports::ephemeral(),
    )
    .await
    .context("starting the sandbox")?;
    let gateway = if args.provider_faults {
        Some(GatewayChild::new(&sandbox)?)
    } else {
        None
    };

    // A fresh key for a fresh database: the children seal with it, the
    // summary opens with it.
    let vault = Keyring::generate("chaos")?;
    let mut launcher = Launcher {
        exe: std::env::current_exe().context("finding this executable")?,
        env: child_env(
            args,
            &vault,
            access.keys(),
            &database_url,
            &sandbox,
            gateway.as_ref(),
        ),
        log_dir: log_dir.clone(),
        epoch: Instant::now(),
    };
    migrate(&launcher).await?;
    let pool = autobook_orchestrator::db::connect(&database_url, 4)
        .await
        .context("connecting to PostgreSQL")?;

    let trips: Vec<(Uuid, autobook_contracts::trip::TripRequest)> = crate::demo::trips::generate(
        args.trips,
        args.scenario,
        args.seed,
        Utc::now().date_naive(),
    )
    .into_iter()
    .map(|(_, trip)| (Uuid::now_v7(), trip))
    .collect();
    let saga_ids: Vec<Uuid> = trips.iter().map(|(id, _)| *id).collect();
    let mut slots = Slot::all(args.orchestrators, args.workers);
    if gateway.is_some() {
        slots.push(Slot::gateway());
    }
    let plan = schedule::plan(&PlanConfig {
        seed: args.seed,
        duration,
        kills_per_minute: args.kills_per_minute,
        slots: slots.len(),
        broker_restart: !args.no_broker_restart,
    });

    // The chaos period starts now.
    launcher.epoch = Instant::now();
    let started = Utc::now();
    let launcher = Arc::new(launcher);
    let records = children::new_records();
    let keepers: Vec<children::Keeper> = slots
        .iter()
        .map(|slot| children::keep(slot.clone(), launcher.clone(), records.clone()))
        .collect();
    let progress = Arc::new(submit::Progress::default());
    let submitter = tokio::spawn(submit::submit_all(
        access.clone(),
        topology.clone(),
        vault.clone(),
        trips,
        duration,
        launcher.epoch,
        progress.clone(),
    ));
    let broker_restart = plan.broker_restart_at.map(|at| {
        let launcher = launcher.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep_until(launcher.epoch + at).await;
            eprintln!("chaos: restarting the broker (rabbitmqctl stop_app, start_app)");
            broker::restart(launcher.at_ms(), &launcher.log_dir.join("rabbitmqctl.log")).await
        });
        (at, task)
    });
    let status = CancellationToken::new();
    let prober = args.provider_faults.then(|| {
        tokio::spawn(provider_faults::probe_search(
            sandbox.stripe_url.clone(),
            progress.clone(),
            status.clone(),
        ))
    });
    tokio::spawn(print_status(
        pool.clone(),
        launcher.clone(),
        records.clone(),
        progress.clone(),
        args.trips,
        status.clone(),
    ));

    let mut warnings = Vec::new();
    let completed = drive(&plan, &keepers, &launcher, duration, &interrupt).await;
    if !completed {
        warnings.push("interrupted: the run was cut short".to_owned());
    }
    // The broker must be running again before anything else.
    let mut broker_restart_events = Vec::new();
    if let Some((at, task)) = broker_restart {
        if !completed && launcher.epoch.elapsed() < at {
            // Interrupted before the restart began: it never happens.
            task.abort();
        } else {
            // Begun (or due): let it finish, so the broker is left running.
            match task.await {
                Ok(restart) => broker_restart_events.push(restart),
                Err(error) => warnings.push(format!("the broker restart task failed: {error}")),
            }
        }
    }
    for restart in &broker_restart_events {
        if !restart.ok {
            warnings.push(format!(
                "broker restart failed (is rabbitmqctl installed and may we run it?): {}",
                restart.detail
            ));
        }
    }
    if args.no_broker_restart {
        warnings.push("broker restart disabled (--no-broker-restart)".to_owned());
    }

    if completed {
        all_up(&keepers, &mut warnings).await;
    }
    let outcome = tokio::select! {
        outcome = submitter => outcome.unwrap_or_default(),
        () = interrupt.cancelled() => submit::Outcome::default(),
    };
    let mut submitted = progress
        .submitted_at
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    // Every trip is accounted for: one never confirmed (or never sent
    // because of an interruption) counts as lost.
    for id in &saga_ids {
        submitted.entry(*id).or_insert(started);
    }
    if !outcome.unconfirmed.is_empty() {
        warnings.push(format!(
            "{} trips were never confirmed by the broker",
            outcome.unconfirmed.len()
        ));
    }
    if !interrupt.is_cancelled() {
        eprintln!(
            "chaos: period over; waiting up to {} s for every saga to finish",
            args.settle_secs
        );
        let mut finished = PgListener::connect_with(&pool).await?;
        finished.listen(SAGA_FINISHED_CHANNEL).await?;
        let expected = args.trips - outcome.unconfirmed.len();
        tokio::select! {
            waited = crate::demo::wait(&pool, finished, expected, Duration::from_secs(args.settle_secs), !args.json) => waited?,
            () = interrupt.cancelled() => warnings.push("interrupted while waiting for the sagas".to_owned()),
        }
    }
    status.cancel();
    let probe_searches = match prober {
        Some(prober) => prober.await.unwrap_or(0),
        None => 0,
    };

    // Graceful stop: SIGTERM every child, wait for the drain.
    for keeper in &keepers {
        let _ = keeper.orders.send(Order::Stop { grace: STOP_GRACE });
    }
    for keeper in keepers {
        let _ = keeper.task.await;
    }

    let sagas = crate::demo::collect(&pool, &vault, &submitted).await?;
    let phases: Vec<(Uuid, Phase)> = sagas
        .iter()
        .filter_map(|(id, s)| s.phase.clone().map(|p| (*id, p)))
        .collect();
    let reconciliation = reconcile(&phases, &sandbox.ledger());
    let job = crate::reconcile::job::after_local_run(
        &pool,
        &vault,
        &autobook_orchestrator::clock::Clock::system(),
        &sandbox.stripe_url,
        &sandbox.duffel_url,
    )
    .await?;
    let unfinished = unfinished(&sagas);
    let extra = extra_sagas(&pool, &saga_ids).await?;
    if extra > 0 {
        warnings.push(format!(
            "{extra} sagas in the database were never submitted"
        ));
    }
    let mut dead_letters = match broker::dead_letters(&access, &topology).await {
        Ok(census) => census,
        Err(error) => {
            warnings.push(format!("could not count the dead letters: {error:#}"));
            BTreeMap::new()
        }
    };
    // The orchestrators archive dead letters as they arrive: those are in
    // the database, not the queues.
    match archived_dead_letters(&pool, &topology).await {
        Ok(archived) => merge_counts(&mut dead_letters, archived),
        Err(error) => warnings.push(format!(
            "could not count the archived dead letters: {error:#}"
        )),
    }
    let records_taken = records.send_replace(children::Records::default());
    for error in &records_taken.spawn_errors {
        warnings.push(format!("could not start a child: {error}"));
    }
    let finished: Vec<Finished> = sagas.into_iter().map(|(_, s)| s).collect();
    let run = summarize(
        args.scenario.as_str(),
        &finished,
        started,
        reconciliation,
        job.verdict(),
        args.database.clone(),
    );
    let self_exits = records_taken.self_exits_by_role();
    let mut kills_by_role = BTreeMap::new();
    for kill in &records_taken.kills {
        *kills_by_role.entry(kill.role.to_owned()).or_insert(0) += 1;
    }
    let summary = ChaosSummary {
        run,
        seed: args.seed,
        duration_s: args.duration,
        kills_per_minute: args.kills_per_minute,
        children: slots.len(),
        kill_count: records_taken.kills.len(),
        kills: records_taken.kills,
        kills_by_role,
        skipped_kills: records_taken.skipped_kills,
        broker_restarts: broker_restart_events.iter().filter(|r| r.ok).count(),
        broker_restart_events,
        self_exits,
        self_exit_events: records_taken.self_exits,
        unconfirmed_submissions: outcome.unconfirmed.len(),
        publish_retries: outcome.retried_publishes,
        unfinished,
        dead_letters,
        ungraceful_stops: records_taken
            .stopped
            .into_iter()
            .filter(|s| !s.graceful)
            .collect(),
        warnings,
        log_dir: log_dir.display().to_string(),
        provider_faults: args
            .provider_faults
            .then(|| provider_faults::ProviderFaults::of(&sandbox.ledger(), probe_searches)),
    };
    if summary.clean() {
        crate::demo::clear_topology(&access, &topology).await?;
    }
    pool.close().await;
    sandbox.shutdown().await;
    if interrupt.is_cancelled() {
        bail!("interrupted (logs in {})", log_dir.display());
    }
    Ok(summary)
}

/// The children's environment: everything `autobook orchestrator` and
/// `autobook worker` read, pointed at this run's database, namespace and
/// sandbox.
fn child_env(
    args: &ChaosArgs,
    vault: &Keyring,
    keys: &autobook_broker::MessageKeys,
    database_url: &str,
    sandbox: &autobook_sandbox::RunningSandbox,
    gateway: Option<&GatewayChild>,
) -> Vec<(String, String)> {
    let delays: Vec<String> = args.retry_delays_ms.iter().map(u32::to_string).collect();
    // The sandbox, not a real provider, is on the other end.
    let mut env = role_env::role_env(
        &args.connections,
        vault,
        database_url,
        &args.namespace,
        args.db_pool,
        sandbox,
        2000,
    );
    env.push(("AUTOBOOK_MESSAGE_KEYS".to_owned(), keys.expose_env_value()));
    env.push(("AUTOBOOK_RETRY_DELAYS_MS".to_owned(), delays.join(",")));
    // A step with no reply for a minute is sent again (the run is short).
    env.push(("AUTOBOOK_STEP_DEADLINE_SECS".to_owned(), "60".to_owned()));
    if args.provider_faults {
        env.push((
            "PROVIDER_TIMEOUT_MS".to_owned(),
            provider_faults::PROVIDER_TIMEOUT.as_millis().to_string(),
        ));
    }
    if let Some(gateway) = gateway {
        env.extend(gateway.env());
    }
    env
}
