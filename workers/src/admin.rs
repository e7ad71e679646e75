//! What operators' tools and the harness read of the provider-call
//! ledger (`provider_calls`, written by [`crate::worker::calls`]), behind
//! typed functions: no other crate writes SQL against it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// A worker's provider call for a saga.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderCall {
    pub idempotency_key: String,
    pub step: String,
    pub status: String,
    pub fence: i32,
    pub outcome_unknown: bool,
    pub claimed_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The provider calls of `saga_id`, in the order they were claimed.
pub async fn calls_of_saga(pool: &PgPool, saga_id: Uuid) -> Result<Vec<ProviderCall>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT idempotency_key, step, status, fence, outcome_unknown, claimed_at, completed_at \
         FROM provider_calls WHERE saga_id = $1 ORDER BY claimed_at, idempotency_key",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| ProviderCall {
            idempotency_key: r.get("idempotency_key"),
            step: r.get("step"),
            status: r.get("status"),
            fence: r.get("fence"),
            outcome_unknown: r.get("outcome_unknown"),
            claimed_at: r.get("claimed_at"),
            completed_at: r.get("completed_at"),
        })
        .collect())
}
