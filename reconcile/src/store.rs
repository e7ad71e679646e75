//! What a run writes, in the tables this crate owns: the run, its findings
//! (first seen, last seen, resolved when a complete run no longer finds
//! them, the action taken), the audit of each released hold, and the
//! fencing token of the last lease holder that wrote.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::compare::Release;
use crate::error::JobError;
use crate::finding::Handled;
use crate::gather::Listing;
use crate::report::Outcome;

/// The name of the job's fence row (and of its lease).
pub const FENCE: &str = "reconciliation";

/// A completed run, as stored.
#[derive(Debug, Clone)]
pub struct RunRow<'a> {
    pub id: Uuid,
    pub instance: &'a str,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub window_start: DateTime<Utc>,
    pub outcome: Outcome,
    pub incomplete: &'a [Listing],
    pub findings: &'a [Handled],
    pub released: usize,
}

/// Records the run and its findings in one transaction. Findings seen
/// before are updated (last seen, detail, action); when every listing was
/// complete, open findings this run did not see are resolved. With a
/// fencing token, nothing is written if a newer lease holder wrote first.
pub async fn record_run(
    pool: &PgPool,
    run: &RunRow<'_>,
    fence: Option<i64>,
) -> Result<(), JobError> {
    let mut tx = pool.begin().await?;
    if let Some(token) = fence {
        check_fence(&mut tx, token).await?;
    }
    let incomplete: Vec<&str> = run.incomplete.iter().map(Listing::as_str).collect();
    sqlx::query(
        "INSERT INTO reconciliation_runs \
         (id, instance, started_at, finished_at, window_start, outcome, incomplete, findings, released) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(run.id)
    .bind(run.instance)
    .bind(run.started_at)
    .bind(run.finished_at)
    .bind(run.window_start)
    .bind(run.outcome.as_str())
    .bind(&incomplete)
    .bind(i32::try_from(run.findings.len()).unwrap_or(i32::MAX))
    .bind(i32::try_from(run.released).unwrap_or(i32::MAX))
    .execute(&mut *tx)
    .await?;
    for handled in run.findings {
        upsert_finding(&mut tx, run, handled).await?;
    }
    if run.incomplete.is_empty() {
        sqlx::query(
            "UPDATE reconciliation_findings SET resolved_at = $1 \
             WHERE resolved_at IS NULL AND last_run <> $2",
        )
        .bind(run.finished_at)
        .bind(run.id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn upsert_finding(
    tx: &mut Transaction<'_, Postgres>,
    run: &RunRow<'_>,
    handled: &Handled,
) -> Result<(), JobError> {
    let finding = &handled.finding;
    sqlx::query(
        "INSERT INTO reconciliation_findings \
         (id, class, subject, saga_id, amount_minor, currency, detail, action, first_seen, last_seen, last_run) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) \
         ON CONFLICT (class, subject) WHERE resolved_at IS NULL DO UPDATE SET \
         saga_id = EXCLUDED.saga_id, amount_minor = EXCLUDED.amount_minor, \
         currency = EXCLUDED.currency, detail = EXCLUDED.detail, action = EXCLUDED.action, \
         last_seen = EXCLUDED.last_seen, last_run = EXCLUDED.last_run",
    )
    .bind(Uuid::now_v7())
    .bind(finding.class.as_str())
    .bind(&finding.subject)
    .bind(finding.saga_id)
    .bind(finding.amount.map(|m| m.amount_minor))
    .bind(finding.amount.map(|m| m.currency.as_str().to_owned()))
    .bind(&finding.detail)
    .bind(handled.action.as_str())
    .bind(run.finished_at)
    .bind(run.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Takes the fence for `token`: fails when a newer token wrote already.
async fn check_fence(tx: &mut Transaction<'_, Postgres>, token: i64) -> Result<(), JobError> {
    let taken = sqlx::query(
        "INSERT INTO reconciliation_fence (name, token) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET token = EXCLUDED.token \
         WHERE reconciliation_fence.token <= EXCLUDED.token",
    )
    .bind(FENCE)
    .bind(token)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if taken == 0 {
        return Err(JobError::Fenced);
    }
    Ok(())
}

/// Audits a release about to be asked for (kept if asked before).
pub async fn release_requested(
    pool: &PgPool,
    release: &Release,
    key: &str,
    by: &str,
    run_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), JobError> {
    sqlx::query(
        "INSERT INTO reconciliation_releases \
         (payment_intent_id, saga_id, amount_minor, currency, idempotency_key, released_by, run_id, requested_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (payment_intent_id) DO NOTHING",
    )
    .bind(&release.payment_intent_id)
    .bind(release.saga_id)
    .bind(release.amount.amount_minor)
    .bind(release.amount.currency.as_str())
    .bind(key)
    .bind(by)
    .bind(run_id)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Completes the audit of a release Stripe confirmed.
pub async fn release_done(
    pool: &PgPool,
    payment_intent_id: &str,
    at: DateTime<Utc>,
) -> Result<(), JobError> {
    sqlx::query(
        "UPDATE reconciliation_releases SET released_at = $2 \
         WHERE payment_intent_id = $1 AND released_at IS NULL",
    )
    .bind(payment_intent_id)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(())
}
