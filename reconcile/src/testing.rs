//! Test support, compiled only with the `testing` feature: the typed reads
//! of the reconciliation tables that the integration suites need to
//! witness what is stored (how a finding was resolved). The roles never
//! use it; the test crates call it instead of naming these tables in SQL.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// The action taken on the finding of `class` and when it was resolved
/// (an error unless there is one to read first).
pub async fn finding_outcome(
    pool: &PgPool,
    class: &str,
) -> Result<(String, Option<DateTime<Utc>>), sqlx::Error> {
    sqlx::query_as("SELECT action, resolved_at FROM reconciliation_findings WHERE class = $1")
        .bind(class)
        .fetch_one(pool)
        .await
}
