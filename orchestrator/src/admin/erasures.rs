//! Erasure requests as the gateway records them and operators list them;
//! [`crate::privacy::erasure`] carries them out. The gateway's functions
//! take its connection, so that row-level security (its role, the user's
//! id) decides which rows are seen.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::privacy::erasure::ERASURE_REQUESTED_CHANNEL;
use crate::privacy::subject_of;

/// An erasure asked for and not carried out yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingErasure {
    pub id: Uuid,
    pub requested_at: DateTime<Utc>,
}

/// Records that `user_id` asked to be erased and wakes the orchestrators;
/// the pending erasure the connection sees instead, if there is one. The
/// caller commits.
pub async fn request(
    conn: &mut PgConnection,
    user_id: &str,
) -> Result<PendingErasure, sqlx::Error> {
    let existing = sqlx::query(
        "SELECT id, requested_at FROM erasures WHERE status = 'pending' ORDER BY requested_at LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = existing {
        return Ok(PendingErasure {
            id: row.get("id"),
            requested_at: row.get("requested_at"),
        });
    }
    let id = Uuid::now_v7();
    let requested_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO erasures (id, subject, user_id, status) VALUES ($1, $2, $3, 'pending') \
         RETURNING requested_at",
    )
    .bind(id)
    .bind(subject_of(user_id))
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(ERASURE_REQUESTED_CHANNEL)
        .execute(&mut *conn)
        .await?;
    Ok(PendingErasure { id, requested_at })
}

/// Whether the connection sees an erasure still pending.
pub async fn pending(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM erasures WHERE status = 'pending')")
        .fetch_one(conn)
        .await
}

/// One erasure as operators see it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ErasureRow {
    pub id: Uuid,
    pub subject: String,
    pub status: String,
    pub requested_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub sagas_stopped: i32,
    pub sagas_erased: i32,
}

/// The latest `limit` erasures, newest first.
pub async fn latest(pool: &PgPool, limit: i64) -> Result<Vec<ErasureRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, subject, status, requested_at, completed_at, sagas_stopped, sagas_erased \
         FROM erasures ORDER BY requested_at DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}
