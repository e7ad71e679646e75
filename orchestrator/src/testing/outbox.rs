//! The outbox as stored: each message with its body still sealed, and the
//! rewrites the key-rotation and placement tests make of a body.

use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// One outbox row; `body` as stored (sealed at its place).
#[derive(Debug, Clone, FromRow)]
pub struct StoredMessage {
    pub id: i64,
    pub message_id: Uuid,
    pub message_type: String,
    pub body: Vec<u8>,
    pub traceparent: Option<String>,
}

const COLUMNS: &str = "SELECT id, message_id, message_type, body, traceparent FROM outbox";

/// Every message `saga_id` sent, oldest first.
pub async fn of_saga(pool: &PgPool, saga_id: Uuid) -> Result<Vec<StoredMessage>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} WHERE saga_id = $1 ORDER BY id"
    )))
    .bind(saga_id)
    .fetch_all(pool)
    .await
}

/// The messages of `message_type` that `saga_id` sent, oldest first.
pub async fn of_type(
    pool: &PgPool,
    saga_id: Uuid,
    message_type: &str,
) -> Result<Vec<StoredMessage>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} WHERE saga_id = $1 AND message_type = $2 ORDER BY id"
    )))
    .bind(saga_id)
    .bind(message_type)
    .fetch_all(pool)
    .await
}

/// The oldest message of the whole outbox.
pub async fn first(pool: &PgPool) -> Result<StoredMessage, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} WHERE id = (SELECT min(id) FROM outbox)"
    )))
    .fetch_one(pool)
    .await
}

/// Every message of the outbox, oldest first.
pub async fn all(pool: &PgPool) -> Result<Vec<StoredMessage>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} ORDER BY id")))
        .fetch_all(pool)
        .await
}

/// Replaces the stored body of `message_id` with `body`, as written: a
/// tampering (a body in plaintext, or sealed as an older build did).
pub async fn overwrite_body(
    pool: &PgPool,
    message_id: Uuid,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE outbox SET body = $2 WHERE message_id = $1")
        .bind(message_id)
        .bind(body)
        .execute(pool)
        .await
        .map(drop)
}
