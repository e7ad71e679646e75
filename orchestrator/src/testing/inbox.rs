//! The inbox as stored: which messages the orchestrator has handled.

use sqlx::PgPool;
use uuid::Uuid;

/// Whether the inbox holds `message_id` (the orchestrator handled it).
pub async fn holds(pool: &PgPool, message_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM inbox WHERE message_id = $1)")
        .bind(message_id)
        .fetch_one(pool)
        .await
}

/// The type the inbox recorded for `message_id`, if it holds it.
pub async fn message_type(pool: &PgPool, message_id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT message_type FROM inbox WHERE message_id = $1")
        .bind(message_id)
        .fetch_optional(pool)
        .await
}

/// How many message ids the inbox holds.
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM inbox")
        .fetch_one(pool)
        .await
}
