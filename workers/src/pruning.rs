//! Keeps the provider-call ledger bounded: completed calls are deleted once
//! older than their window.
//!
//! A completed call's record answers a command delivered again (its stored
//! reply is replayed instead of calling the provider twice). Commands come
//! again within minutes (broker redeliveries, our retries, a step re-sent
//! past its deadline), and the window is far longer than any payment hold
//! lives (a card hold lapses within days), so a command arriving after it
//! cannot move money a second time on an effect still in force. Calls in
//! flight or released are never deleted: their outcome is still being
//! settled. What a saga did stays in its audit trail and its booking.
//!
//! Every worker process sweeps; rows are deleted oldest first in short
//! batches (`FOR UPDATE SKIP LOCKED`), through the index on the first claim
//! time, which no update touches.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::metric_definitions::CALLS_PRUNED;

/// How long completed provider calls are kept, and how they are swept.
#[derive(Debug, Clone)]
pub struct CallPruning {
    /// Completed calls are deleted this long after they were first claimed.
    pub window: Duration,
    /// Rows per statement.
    pub batch_size: i64,
    /// Time between sweeps.
    pub interval: Duration,
}

impl Default for CallPruning {
    fn default() -> Self {
        CallPruning {
            window: Duration::from_secs(30 * 24 * 3600),
            batch_size: 2000,
            interval: Duration::from_secs(60),
        }
    }
}

/// Sweeps every `interval` until `shutdown`.
pub async fn run_call_pruning(pool: PgPool, config: CallPruning, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(error) = prune_calls(&pool, Utc::now(), &config).await {
            tracing::warn!(%error, "pruning provider calls failed; trying again later");
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(config.interval) => {}
        }
    }
}

/// Deletes the completed calls past the window at `now`, batch after batch
/// until none is due; returns how many.
pub async fn prune_calls(
    pool: &PgPool,
    now: DateTime<Utc>,
    config: &CallPruning,
) -> Result<u64, sqlx::Error> {
    let before = chrono::Duration::from_std(config.window)
        .ok()
        .and_then(|window| now.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let batch = config.batch_size.max(1);
    let mut total = 0;
    loop {
        let deleted = sqlx::query(
            "DELETE FROM provider_calls WHERE idempotency_key IN ( \
               SELECT idempotency_key FROM provider_calls \
               WHERE first_claimed_at < $1 AND status = 'completed' \
               ORDER BY first_claimed_at LIMIT $2 FOR UPDATE SKIP LOCKED)",
        )
        .bind(before)
        .bind(batch)
        .execute(pool)
        .await?
        .rows_affected();
        total += deleted;
        metrics::counter!(CALLS_PRUNED).increment(deleted);
        if deleted < batch.unsigned_abs() {
            return Ok(total);
        }
    }
}
