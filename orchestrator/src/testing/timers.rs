//! The durable timers as stored: counts of a saga's timers, and timers
//! planted as fired long ago for the purge.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// How many of `saga_id`'s timers have not fired; only those of `kind`
/// (the timer's `kind` field) when given.
pub async fn unfired_count(
    pool: &PgPool,
    saga_id: Uuid,
    kind: Option<&str>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM saga_timers WHERE saga_id = $1 AND fired_at IS NULL \
         AND ($2::text IS NULL OR timer->>'kind' = $2)",
    )
    .bind(saga_id)
    .bind(kind)
    .fetch_one(pool)
    .await
}

/// How many of `saga_id`'s timers, fired or not, carry `idempotency_key`.
pub async fn count_with_key(
    pool: &PgPool,
    saga_id: Uuid,
    idempotency_key: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM saga_timers WHERE saga_id = $1 AND timer->>'idempotency_key' = $2",
    )
    .bind(saga_id)
    .bind(idempotency_key)
    .fetch_one(pool)
    .await
}

/// Writes a timer of `saga_id` as given: due at `due_at`, fired at
/// `fired_at` (or not yet).
pub async fn plant(
    pool: &PgPool,
    saga_id: Uuid,
    timer: &Value,
    due_at: DateTime<Utc>,
    fired_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO saga_timers (saga_id, timer, due_at, fired_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(saga_id)
    .bind(timer)
    .bind(due_at)
    .bind(fired_at)
    .execute(pool)
    .await
    .map(drop)
}
