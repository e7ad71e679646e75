//! Retention limits, applied by a scheduled sweep on each orchestrator
//! (and on demand by `autobook ops retention run`):
//!
//! - offers are deleted `offer_retention` after they expired (the booking
//!   keeps its own copy of the flights);
//! - a finished trip's personal data is scrubbed ([`super::scrub`])
//!   `personal_data_days` days after its last flight.
//!
//! Both run in batches of short transactions, touch only rows still due,
//! and are idempotent: a second sweep finds nothing to do.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::scrub::{Scope, scrub_saga};
use crate::clock::Clock;

/// Retention settings.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// How long an offer is kept after it expired.
    pub offer_retention: Duration,
    /// Days after the last flight a trip's personal data is kept.
    pub personal_data_days: u32,
    /// Rows per transaction.
    pub batch_size: i64,
    /// Time between sweeps.
    pub interval: Duration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            offer_retention: Duration::from_secs(30 * 24 * 3600),
            personal_data_days: 90,
            batch_size: 500,
            interval: Duration::from_secs(3600),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub offers_deleted: u64,
    pub trips_scrubbed: u64,
    /// Transactions used.
    pub batches: u64,
}

/// Sweeps every `interval` (by `clock`) until `shutdown`.
pub async fn run_retention(
    pool: PgPool,
    clock: Clock,
    config: RetentionConfig,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        match sweep(&pool, clock.now(), &config).await {
            Ok(swept) if swept != Swept::default() => {
                tracing::info!(
                    offers_deleted = swept.offers_deleted,
                    trips_scrubbed = swept.trips_scrubbed,
                    "retention sweep"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "retention sweep failed; trying again later"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(config.interval) => {}
        }
    }
}

/// Applies both limits as of `now`, batch after batch until nothing is due.
pub async fn sweep(
    pool: &PgPool,
    now: DateTime<Utc>,
    config: &RetentionConfig,
) -> Result<Swept, sqlx::Error> {
    let mut swept = Swept::default();
    let offers_before =
        now - chrono::Duration::from_std(config.offer_retention).unwrap_or_default();
    loop {
        let deleted = sqlx::query(
            "DELETE FROM offers WHERE (saga_id, offer_id) IN \
             (SELECT saga_id, offer_id FROM offers WHERE expires_at < $1 LIMIT $2)",
        )
        .bind(offers_before)
        .bind(config.batch_size)
        .execute(pool)
        .await?
        .rows_affected();
        swept.batches += 1;
        swept.offers_deleted += deleted;
        if deleted < config.batch_size.unsigned_abs() {
            break;
        }
    }
    let travelled_before =
        now.date_naive() - chrono::Duration::days(i64::from(config.personal_data_days));
    loop {
        let mut tx = pool.begin().await?;
        let due: Vec<Uuid> = sqlx::query_scalar(
            "SELECT s.id FROM sagas s WHERE s.terminal AND s.personal_data_erased_at IS NULL \
             AND EXISTS (SELECT 1 FROM passengers p WHERE p.saga_id = s.id AND p.travel_ends_on < $1) \
             ORDER BY s.id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(travelled_before)
        .bind(config.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        for saga in &due {
            scrub_saga(&mut tx, *saga, Scope::PersonalData).await?;
        }
        tx.commit().await?;
        swept.batches += 1;
        swept.trips_scrubbed += due.len() as u64;
        if (due.len() as i64) < config.batch_size {
            return Ok(swept);
        }
    }
}
