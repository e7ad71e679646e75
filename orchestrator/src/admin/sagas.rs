//! Sagas as operators see them: lists by status, the audit trail, the
//! commands and timers still pending, and who asked for a transition.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgPool, Row};
use uuid::Uuid;

/// A saga in a list.
#[derive(Debug, Clone, Serialize)]
pub struct SagaSummary {
    pub id: Uuid,
    pub user_id: String,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The problem of a stuck or aborted saga.
    pub problem: Option<String>,
}

/// Sagas in `status`, most recently updated first, at most `limit` (at
/// least one).
pub async fn list_by_status(
    pool: &PgPool,
    status: &str,
    limit: i64,
) -> Result<Vec<SagaSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_id, status, version, created_at, updated_at, state->'phase'->>'problem' AS problem \
         FROM sagas WHERE status = $1 ORDER BY updated_at DESC, id LIMIT $2",
    )
    .bind(status)
    .bind(limit.max(1))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| SagaSummary {
            id: row.get("id"),
            user_id: row.get("user_id"),
            status: row.get("status"),
            version: row.get("version"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            problem: row.get("problem"),
        })
        .collect())
}

/// One row of the audit trail: a transition and its summarized effects.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub message_id: Uuid,
    pub message_type: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// The effects as the executor summarized them (a JSON array).
    pub effects: Value,
    /// Who asked and why, for an operator's transition.
    pub note: Option<String>,
}

/// The audit trail of a saga, oldest first.
pub async fn history(pool: &PgPool, saga_id: Uuid) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT version, recorded_at, message_id, message_type, from_status, to_status, effects, note \
         FROM saga_audit WHERE saga_id = $1 ORDER BY version",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| AuditEntry {
            version: r.get("version"),
            recorded_at: r.get("recorded_at"),
            message_id: r.get("message_id"),
            message_type: r.get("message_type"),
            from_status: r.get("from_status"),
            to_status: r.get("to_status"),
            effects: r.get("effects"),
            note: r.get("note"),
        })
        .collect())
}

/// A command decided but not yet published.
#[derive(Debug, Clone, Serialize)]
pub struct PendingMessage {
    pub message_id: Uuid,
    pub message_type: String,
    pub created_at: DateTime<Utc>,
}

/// The saga's outbox rows not yet published, in the order they were written.
pub async fn unpublished(pool: &PgPool, saga_id: Uuid) -> Result<Vec<PendingMessage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT message_id, message_type, created_at FROM outbox \
         WHERE saga_id = $1 AND published_at IS NULL ORDER BY id",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| PendingMessage {
            message_id: r.get("message_id"),
            message_type: r.get("message_type"),
            created_at: r.get("created_at"),
        })
        .collect())
}

/// A timer not yet fired.
#[derive(Debug, Clone, Serialize)]
pub struct PendingTimer {
    pub timer: Value,
    pub due_at: DateTime<Utc>,
}

/// The saga's timers not yet fired, soonest first.
pub async fn unfired_timers(
    pool: &PgPool,
    saga_id: Uuid,
) -> Result<Vec<PendingTimer>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT timer, due_at FROM saga_timers WHERE saga_id = $1 AND fired_at IS NULL ORDER BY due_at",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| PendingTimer {
            timer: r.get("timer"),
            due_at: r.get("due_at"),
        })
        .collect())
}

/// Writes who asked and why on the audit row of the message `message_id`
/// of `saga_id`; its version, or None when there is no such row.
pub async fn record_note(
    pool: &PgPool,
    saga_id: Uuid,
    message_id: Uuid,
    note: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE saga_audit SET note = $3 WHERE saga_id = $1 AND message_id = $2 RETURNING version",
    )
    .bind(saga_id)
    .bind(message_id)
    .bind(note)
    .fetch_optional(pool)
    .await
}
