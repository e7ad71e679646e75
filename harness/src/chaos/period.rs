//! The chaos period: `autobook migrate` as a child, the planned kills sent
//! at their moments, progress on stderr, and the wait for every child to be
//! up again afterwards.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, ensure};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::children::{self, Launcher, Order, SharedRecords};
use super::schedule::Plan;
use super::submit;

/// Longest wait for `autobook migrate`.
const MIGRATE_TIMEOUT: Duration = Duration::from_secs(180);
/// Longest wait, after the chaos period, for every child to be up again.
const ALL_UP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often progress is printed (stderr) during the chaos period.
const STATUS_EVERY: Duration = Duration::from_secs(10);

/// `autobook migrate` as a child (database, schema, topology).
pub(crate) async fn migrate(launcher: &Launcher) -> anyhow::Result<()> {
    let log = launcher.log_dir.join("migrate.log");
    let mut process = children::Process::spawn(&mut launcher.command(&["migrate"], &log)?)
        .context("starting autobook migrate")?;
    let status = tokio::time::timeout(MIGRATE_TIMEOUT, process.wait())
        .await
        .context("autobook migrate timed out")??;
    ensure!(
        status.success(),
        "autobook migrate failed ({status}); see {}",
        log.display()
    );
    Ok(())
}

/// Sends the planned kills at their moments, then waits out the period.
/// False if interrupted.
pub(super) async fn drive(
    plan: &Plan,
    keepers: &[children::Keeper],
    launcher: &Launcher,
    duration: Duration,
    interrupt: &CancellationToken,
) -> bool {
    for kill in &plan.kills {
        tokio::select! {
            () = tokio::time::sleep_until(launcher.epoch + kill.at) => {}
            () = interrupt.cancelled() => return false,
        }
        if let Some(keeper) = keepers.get(kill.slot) {
            let _ = keeper.orders.send(Order::Kill {
                restart_after: kill.restart_after,
            });
        }
    }
    tokio::select! {
        () = tokio::time::sleep_until(launcher.epoch + duration) => true,
        () = interrupt.cancelled() => false,
    }
}

/// Waits until every child is up again after the chaos period.
pub(super) async fn all_up(keepers: &[children::Keeper], warnings: &mut Vec<String>) {
    for keeper in keepers {
        let mut running = keeper.running.clone();
        let up = tokio::time::timeout(ALL_UP_TIMEOUT, running.wait_for(|up| *up)).await;
        if !matches!(up, Ok(Ok(_))) {
            warnings.push(format!(
                "{} was not running {} s after the chaos period",
                keeper.slot.name(),
                ALL_UP_TIMEOUT.as_secs()
            ));
        }
    }
}

/// Progress lines on stderr during the run.
pub(super) async fn print_status(
    pool: PgPool,
    launcher: Arc<Launcher>,
    records: SharedRecords,
    progress: Arc<submit::Progress>,
    trips: usize,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(STATUS_EVERY) => {}
            () = stop.cancelled() => return,
        }
        let finished = autobook_orchestrator::admin::figures::finished_sagas(&pool)
            .await
            .unwrap_or(-1);
        let (kills, exits) = {
            let records = records.borrow();
            (records.kills.len(), records.self_exits.len())
        };
        eprintln!(
            "chaos: [{:>4} s] {}/{} trips submitted, {} sagas finished, {} kills, {} self-exits",
            launcher.epoch.elapsed().as_secs(),
            progress.confirmed.load(Ordering::Relaxed),
            trips,
            finished,
            kills,
            exits
        );
    }
}
