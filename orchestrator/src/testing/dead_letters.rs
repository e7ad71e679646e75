//! The archived dead letters as stored, bodies still sealed, and the
//! transplant of a body from one dead letter into another.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// One archived dead letter; `body` as stored (sealed at its place).
#[derive(Debug, Clone, FromRow)]
pub struct StoredLetter {
    pub id: Uuid,
    pub saga_id: Option<Uuid>,
    pub source_queue: String,
    pub role: String,
    pub code: String,
    pub reason: String,
    pub headers: Value,
    pub dead_lettered_at: DateTime<Utc>,
    pub body: Vec<u8>,
}

/// Every archived dead letter.
pub async fn all(pool: &PgPool) -> Result<Vec<StoredLetter>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, saga_id, source_queue, role, code, reason, headers, dead_lettered_at, body \
         FROM dead_letters",
    )
    .fetch_all(pool)
    .await
}

/// How many dead letters each source queue has archived.
pub async fn count_by_source_queue(pool: &PgPool) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT source_queue, count(*) FROM dead_letters GROUP BY source_queue")
        .fetch_all(pool)
        .await
}

/// The ids of `saga_id`'s dead letters, the oldest first.
pub async fn of_saga(pool: &PgPool, saga_id: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM dead_letters WHERE saga_id = $1 ORDER BY dead_lettered_at")
        .bind(saga_id)
        .fetch_all(pool)
        .await
}

/// The ids of `saga_id`'s dead letters with `code`, the oldest first.
pub async fn of_saga_with_code(
    pool: &PgPool,
    saga_id: Uuid,
    code: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM dead_letters WHERE saga_id = $1 AND code = $2 ORDER BY dead_lettered_at",
    )
    .bind(saga_id)
    .bind(code)
    .fetch_all(pool)
    .await
}

/// The whole row of dead letter `id` as PostgreSQL renders it as text
/// (bytea in hex): what anyone reading the table sees.
pub async fn row_as_text(pool: &PgPool, id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT d::text FROM dead_letters d WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// Copies the stored (sealed) body of dead letter `from` over the body of
/// dead letter `into`, as someone with plain SQL access could.
pub async fn transplant_body(pool: &PgPool, into: Uuid, from: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE dead_letters SET body = (SELECT body FROM dead_letters WHERE id = $2) WHERE id = $1",
    )
    .bind(into)
    .bind(from)
    .execute(pool)
    .await
    .map(drop)
}
