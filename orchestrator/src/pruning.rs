//! Keeps the executor's bookkeeping bounded while traffic flows: published
//! outbox rows and inbox ids are deleted once older than their windows.
//!
//! Neither is history. A published outbox row has done its work (the
//! commands a saga sent stay in `saga_commands`, its transitions in
//! `saga_audit`); an inbox id only has to outlive every redelivery of its
//! message: the broker's redeliveries and our retry schedule arrive within
//! minutes, a worker replays a stored reply only to a command re-sent for a
//! step still pending, and a dead letter replayed later was never handled,
//! so it never had an inbox id. Audit rows, bookings and sagas are kept.
//!
//! Every orchestrator sweeps; rows are deleted oldest first in short
//! batches (`FOR UPDATE SKIP LOCKED`, so sweepers and the relay do not wait
//! on each other), through indexes on the insert times, which no update
//! touches.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::metric_definitions::ROWS_PRUNED;

/// How long the executor's bookkeeping is kept, and how it is swept.
#[derive(Debug, Clone)]
pub struct PruneConfig {
    /// Published outbox rows are deleted this long after they were written.
    pub outbox_window: Duration,
    /// Inbox ids are deleted this long after their message was handled.
    pub inbox_window: Duration,
    /// Rows per statement.
    pub batch_size: i64,
    /// Time between sweeps.
    pub interval: Duration,
}

impl Default for PruneConfig {
    fn default() -> Self {
        PruneConfig {
            outbox_window: Duration::from_secs(24 * 3600),
            inbox_window: Duration::from_secs(14 * 24 * 3600),
            batch_size: 2000,
            interval: Duration::from_secs(60),
        }
    }
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub outbox: u64,
    pub inbox: u64,
}

/// Sweeps every `interval` until `shutdown`; the windows end at `clock`'s now.
pub async fn run_pruning(
    pool: PgPool,
    clock: Clock,
    config: PruneConfig,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        match prune(&pool, clock.now(), &config).await {
            Ok(pruned) if pruned != Pruned::default() => {
                tracing::debug!(outbox = pruned.outbox, inbox = pruned.inbox, "pruned");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "pruning failed; trying again later"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(config.interval) => {}
        }
    }
}

/// Deletes what is past its window at `now`, batch after batch until
/// nothing is due. Unpublished outbox rows are never deleted.
pub async fn prune(
    pool: &PgPool,
    now: DateTime<Utc>,
    config: &PruneConfig,
) -> Result<Pruned, sqlx::Error> {
    let outbox = until_done(config.batch_size, |batch| {
        sqlx::query(
            "DELETE FROM outbox WHERE id IN ( \
               SELECT id FROM outbox WHERE created_at < $1 AND published_at IS NOT NULL \
               ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(before(now, config.outbox_window))
        .bind(batch)
        .execute(pool)
    })
    .await?;
    metrics::counter!(ROWS_PRUNED, "table" => "outbox").increment(outbox);
    let inbox = until_done(config.batch_size, |batch| {
        sqlx::query(
            "DELETE FROM inbox WHERE message_id IN ( \
               SELECT message_id FROM inbox WHERE handled_at < $1 \
               ORDER BY handled_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(before(now, config.inbox_window))
        .bind(batch)
        .execute(pool)
    })
    .await?;
    metrics::counter!(ROWS_PRUNED, "table" => "inbox").increment(inbox);
    Ok(Pruned { outbox, inbox })
}

/// `now` less `window`.
fn before(now: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(window)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Runs `delete` (a statement deleting at most `batch` rows) until a
/// statement deletes fewer; returns how many went.
pub(crate) async fn until_done<F, Fut>(batch: i64, mut delete: F) -> Result<u64, sqlx::Error>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<sqlx::postgres::PgQueryResult, sqlx::Error>>,
{
    let batch = batch.max(1);
    let mut total = 0;
    loop {
        let deleted = delete(batch).await?.rows_affected();
        total += deleted;
        if deleted < batch.unsigned_abs() {
            return Ok(total);
        }
    }
}
