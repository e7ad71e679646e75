//! The console's overview: the funnel (sagas open now by status, sagas
//! finished in a recent window by status), throughput and latency of that
//! window, the outbox lag and the dead letters waiting.
//!
//! Every read is bounded by open work or by the window, never by history:
//! open sagas through the partial `sagas_open_idx`, finished ones through
//! the partial `sagas_completed_idx`, so the page costs the same with ten
//! million finished sagas as with none.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sqlx::{PgPool, Row};

/// Buckets the window's completions are counted in.
pub const BUCKETS: i64 = 12;

/// The overview of the orchestrator's tables over `window` before `now`.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub now: DateTime<Utc>,
    pub window: Duration,
    /// Sagas not finished, by status (every open status present, 0 included).
    pub open: BTreeMap<String, i64>,
    /// Sagas finished within the window, by status.
    pub finished: BTreeMap<String, i64>,
    /// Sagas started within the window (finished or not).
    pub started: i64,
    /// Completions per bucket of `window / BUCKETS`, oldest first.
    pub completions: Vec<i64>,
    /// Start to finish of the sagas finished within the window, in ms.
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// Outbox rows not yet published, and the age of the oldest.
    pub outbox_backlog: i64,
    pub outbox_oldest_secs: f64,
    /// Archived dead letters not replayed.
    pub dead_letters: i64,
    /// Stuck sagas, however old (they wait for a person).
    pub stuck: i64,
}

impl Overview {
    /// Finished sagas per second over the window.
    pub fn throughput(&self) -> f64 {
        let seconds = self.window.num_milliseconds() as f64 / 1000.0;
        let finished: i64 = self.finished.values().sum();
        if seconds > 0.0 {
            finished as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Reads the overview for the `window` before `now`.
pub async fn overview(
    pool: &PgPool,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<Overview, sqlx::Error> {
    let since = now - window;
    let mut open: BTreeMap<String, i64> = crate::saga::Phase::STATUSES
        .iter()
        .filter(|status| {
            !matches!(
                **status,
                "booked" | "failed" | "cancelled" | "stuck" | "aborted"
            )
        })
        .map(|status| ((*status).to_owned(), 0))
        .collect();
    let mut started = 0;
    for row in sqlx::query(
        "SELECT status, count(*) AS n, count(*) FILTER (WHERE created_at >= $1) AS recent \
         FROM sagas WHERE NOT terminal GROUP BY status",
    )
    .bind(since)
    .fetch_all(pool)
    .await?
    {
        open.insert(row.get("status"), row.get("n"));
        started += row.get::<i64, _>("recent");
    }

    let mut finished = BTreeMap::new();
    for row in sqlx::query(
        "SELECT status, count(*) AS n, count(*) FILTER (WHERE created_at >= $1) AS recent \
         FROM sagas WHERE completed_at >= $1 AND completed_at <= $2 GROUP BY status",
    )
    .bind(since)
    .bind(now)
    .fetch_all(pool)
    .await?
    {
        finished.insert(row.get("status"), row.get("n"));
        started += row.get::<i64, _>("recent");
    }

    let timing = sqlx::query(
        "SELECT \
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - created_at)) AS p50, \
           percentile_cont(0.99) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - created_at)) AS p99 \
         FROM sagas WHERE completed_at >= $1 AND completed_at <= $2",
    )
    .bind(since)
    .bind(now)
    .fetch_one(pool)
    .await?;
    let bucket_secs = (window.num_seconds() as f64 / BUCKETS as f64).max(1.0);
    let mut completions = vec![0; BUCKETS as usize];
    for row in sqlx::query(
        "SELECT floor(EXTRACT(EPOCH FROM completed_at - $1) / $3)::bigint AS bucket, count(*) AS n \
         FROM sagas WHERE completed_at >= $1 AND completed_at <= $2 GROUP BY 1",
    )
    .bind(since)
    .bind(now)
    .bind(bucket_secs)
    .fetch_all(pool)
    .await?
    {
        let index = row.get::<i64, _>("bucket").clamp(0, BUCKETS - 1) as usize;
        completions[index] += row.get::<i64, _>("n");
    }

    let outbox = sqlx::query(
        "SELECT count(*) AS n, \
         COALESCE(EXTRACT(EPOCH FROM $1 - min(created_at)), 0)::float8 AS oldest \
         FROM outbox WHERE published_at IS NULL",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    let dead_letters: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL")
            .fetch_one(pool)
            .await?;

    // Through `sagas_status_updated_idx`: as many rows as sagas are stuck.
    let stuck: i64 = sqlx::query_scalar("SELECT count(*) FROM sagas WHERE status = 'stuck'")
        .fetch_one(pool)
        .await?;

    Ok(Overview {
        now,
        window,
        open,
        finished,
        started,
        completions,
        latency_p50_ms: timing.get::<Option<f64>, _>("p50").map(|s| s * 1000.0),
        latency_p99_ms: timing.get::<Option<f64>, _>("p99").map(|s| s * 1000.0),
        outbox_backlog: outbox.get("n"),
        outbox_oldest_secs: outbox.get::<f64, _>("oldest").max(0.0),
        dead_letters,
        stuck,
    })
}
