//! The gauge sampler: every `interval` a few cheap aggregate reads refresh
//! the gauges that no single event can keep up to date:
//!
//! - sagas in each open status, and stuck ones (counted through the
//!   `sagas_open_idx` and `sagas_status_updated_idx` indexes: finished sagas are
//!   never scanned);
//! - the outbox backlog and the age of its oldest unpublished row;
//! - archived dead letters not yet replayed, per queue;
//! - messages waiting in every queue (passive declares).
//!
//! Every orchestrator samples; dashboards and alerts take the `max` across
//! instances. A failed round is counted and logged; the next one tries again.

use std::time::Duration;

use sqlx::{PgPool, Row};
use tokio_util::sync::CancellationToken;

use autobook_broker::{Broker, BrokerError, queue_depth};
use autobook_contracts::QueueRole;

use crate::metric_definitions::{
    DEAD_LETTERS_PENDING, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE_SECONDS, SAGAS_BY_STATUS,
    SAMPLER_ERRORS,
};

/// The statuses the `autobook_sagas` gauge reports: every open one, and
/// stuck (terminal for automation, but waiting for an operator).
pub const GAUGED_STATUSES: &[&str] = &[
    "searching",
    "watching",
    "paused",
    "authorizing",
    "ordering",
    "capturing",
    "releasing_hold",
    "cancelling_order",
    "cancelling_booking",
    "refunding",
    "notifying",
    "outcome_unknown",
    "stuck",
];

/// Sampler settings.
#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub interval: Duration,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            interval: Duration::from_secs(15),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("broker error: {0}")]
    Broker(#[from] BrokerError),
}

/// Samples until `shutdown`.
pub async fn run_sampler(
    pool: PgPool,
    broker: Broker,
    config: SamplerConfig,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        if let Err(error) = sample_once(&pool, &broker).await {
            metrics::counter!(SAMPLER_ERRORS).increment(1);
            tracing::debug!(%error, "metrics sampling failed; trying again next round");
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(config.interval) => {}
        }
    }
}

/// One round: reads everything, then sets every gauge.
pub async fn sample_once(pool: &PgPool, broker: &Broker) -> Result<(), SampleError> {
    let sagas = sqlx::query(
        "SELECT status, count(*) AS n FROM sagas WHERE NOT terminal GROUP BY status \
         UNION ALL SELECT 'stuck', count(*) FROM sagas WHERE status = 'stuck'",
    )
    .fetch_all(pool)
    .await?;
    let sagas: Vec<(String, i64)> = sagas.iter().map(|r| (r.get(0), r.get(1))).collect();
    for (status, count) in per_label(GAUGED_STATUSES, &sagas) {
        metrics::gauge!(SAGAS_BY_STATUS, "status" => status).set(count as f64);
    }

    let outbox = sqlx::query(
        "SELECT count(*) AS n, \
         COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest \
         FROM outbox WHERE published_at IS NULL",
    )
    .fetch_one(pool)
    .await?;
    metrics::gauge!(OUTBOX_BACKLOG).set(outbox.get::<i64, _>("n") as f64);
    metrics::gauge!(OUTBOX_OLDEST_AGE_SECONDS).set(outbox.get::<f64, _>("oldest").max(0.0));

    let dead = sqlx::query(
        "SELECT role, count(*) AS n FROM dead_letters WHERE replayed_at IS NULL GROUP BY role",
    )
    .fetch_all(pool)
    .await?;
    let dead: Vec<(String, i64)> = dead.iter().map(|r| (r.get(0), r.get(1))).collect();
    let roles: Vec<&'static str> = QueueRole::ALL.iter().map(QueueRole::as_str).collect();
    for (queue, count) in per_label(&roles, &dead) {
        metrics::gauge!(DEAD_LETTERS_PENDING, "queue" => queue).set(count as f64);
    }

    queue_depth::record(&queue_depth::sample(broker).await?);
    Ok(())
}

/// A count for every known label (zero when absent); unknown values are
/// left out, so a label never takes a value outside `known`.
pub fn per_label(known: &[&'static str], counts: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    known
        .iter()
        .map(|label| {
            let count = counts
                .iter()
                .filter(|(value, _)| value == label)
                .map(|(_, n)| *n)
                .sum();
            (*label, count)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saga::Phase;

    #[test]
    fn every_known_label_gets_a_count_and_unknown_ones_none() {
        let counts = vec![
            ("ordering".to_owned(), 3),
            ("stuck".to_owned(), 1),
            ("made_up".to_owned(), 9),
        ];
        let per = per_label(&["searching", "ordering", "stuck"], &counts);
        assert_eq!(per, vec![("searching", 0), ("ordering", 3), ("stuck", 1)]);
    }

    #[test]
    fn the_gauge_covers_every_open_status_and_stuck() {
        let finished = ["booked", "failed", "cancelled", "aborted"];
        let expected: Vec<&str> = Phase::STATUSES
            .iter()
            .copied()
            .filter(|s| !finished.contains(s))
            .collect();
        let mut gauged = GAUGED_STATUSES.to_vec();
        let mut expected = expected;
        gauged.sort_unstable();
        expected.sort_unstable();
        assert_eq!(gauged, expected);
    }
}
