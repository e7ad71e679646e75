//! Reading back what runs recorded, for operators (`autobook ops
//! reconcile`) and for the findings gauge: open findings, recent
//! releases, the last runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::finding::FindingClass;

/// A finding still open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct OpenFinding {
    pub class: String,
    pub subject: String,
    pub saga_id: Option<Uuid>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub detail: String,
    pub action: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// A hold the job released (or asked to release).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ReleaseRow {
    pub payment_intent_id: String,
    pub saga_id: Option<Uuid>,
    pub amount_minor: i64,
    pub currency: String,
    pub idempotency_key: String,
    pub released_by: String,
    pub run_id: Uuid,
    pub requested_at: DateTime<Utc>,
    /// None: asked for, not (yet) confirmed by Stripe.
    pub released_at: Option<DateTime<Utc>>,
}

/// One completed run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct RunSummary {
    pub id: Uuid,
    pub instance: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
    pub outcome: String,
    pub incomplete: Vec<String>,
    pub findings: i32,
    pub released: i32,
}

/// Open findings, oldest first.
pub async fn open_findings(pool: &PgPool, limit: i64) -> Result<Vec<OpenFinding>, sqlx::Error> {
    sqlx::query_as(
        "SELECT class, subject, saga_id, amount_minor, currency, detail, action, first_seen, last_seen \
         FROM reconciliation_findings WHERE resolved_at IS NULL \
         ORDER BY first_seen, class, subject LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A finding about one saga, open or resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SagaFinding {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub finding: OpenFinding,
    /// When a later complete run no longer saw it; None: still open.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Every finding recorded about `saga_id`, newest first (at most 100).
pub async fn findings_of_saga(
    pool: &PgPool,
    saga_id: Uuid,
) -> Result<Vec<SagaFinding>, sqlx::Error> {
    sqlx::query_as(
        "SELECT class, subject, saga_id, amount_minor, currency, detail, action, first_seen, last_seen, \
         resolved_at FROM reconciliation_findings WHERE saga_id = $1 \
         ORDER BY first_seen DESC, class, subject LIMIT 100",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await
}

/// Releases of holds of `saga_id`, newest first.
pub async fn releases_of_saga(
    pool: &PgPool,
    saga_id: Uuid,
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payment_intent_id, saga_id, amount_minor, currency, idempotency_key, released_by, \
         run_id, requested_at, released_at FROM reconciliation_releases WHERE saga_id = $1 \
         ORDER BY requested_at DESC LIMIT 100",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await
}

/// Open findings that wait for a person, by class, every class present:
/// an orphaned hold the job released is left out (the next complete run
/// resolves it).
pub async fn open_counts(pool: &PgPool) -> Result<BTreeMap<FindingClass, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT class, count(*) FROM reconciliation_findings \
         WHERE resolved_at IS NULL AND action <> 'released' GROUP BY class",
    )
    .fetch_all(pool)
    .await?;
    let mut counts: BTreeMap<FindingClass, i64> =
        FindingClass::ALL.iter().map(|class| (*class, 0)).collect();
    for (class, count) in rows {
        if let Some(class) = FindingClass::parse(&class) {
            counts.insert(class, count);
        }
    }
    Ok(counts)
}

/// Releases asked for at or after `since`, newest first.
pub async fn releases_since(
    pool: &PgPool,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ReleaseRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payment_intent_id, saga_id, amount_minor, currency, idempotency_key, released_by, \
         run_id, requested_at, released_at FROM reconciliation_releases \
         WHERE requested_at >= $1 ORDER BY requested_at DESC LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The most recent completed runs, newest first.
pub async fn last_runs(pool: &PgPool, limit: i64) -> Result<Vec<RunSummary>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, instance, started_at, finished_at, window_start, outcome, incomplete, findings, released \
         FROM reconciliation_runs ORDER BY finished_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
