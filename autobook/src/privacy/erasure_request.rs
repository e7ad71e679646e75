//! `DELETE /v1/me`: records that the user asked to be erased. The
//! orchestrators carry it out (stop the running sagas, then scrub); asking
//! again while it is pending returns the same erasure.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_orchestrator::privacy::erasure::ERASURE_REQUESTED_CHANNEL;
use autobook_orchestrator::privacy::subject_of;

use super::PrivacyError;
use crate::gateway::db::as_user;

/// The answer to an erasure request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ErasureReceipt {
    pub erasure_id: Uuid,
    /// Always `pending` here: the work happens after the answer.
    pub status: String,
    pub requested_at: DateTime<Utc>,
}

/// Records an erasure of `user` (or finds the pending one).
pub async fn request_erasure(pool: &PgPool, user: &UserId) -> Result<ErasureReceipt, PrivacyError> {
    let mut tx = as_user(pool, user).await?;
    let existing = sqlx::query(
        "SELECT id, requested_at FROM erasures WHERE status = 'pending' ORDER BY requested_at LIMIT 1",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (erasure_id, requested_at) = match existing {
        Some(row) => (row.get("id"), row.get("requested_at")),
        None => {
            let id = Uuid::now_v7();
            let requested_at: DateTime<Utc> = sqlx::query_scalar(
                "INSERT INTO erasures (id, subject, user_id, status) VALUES ($1, $2, $3, 'pending') \
                 RETURNING requested_at",
            )
            .bind(id)
            .bind(subject_of(user.as_str()))
            .bind(user.as_str())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(ERASURE_REQUESTED_CHANNEL)
                .execute(&mut *tx)
                .await?;
            (id, requested_at)
        }
    };
    tx.commit().await?;
    Ok(ErasureReceipt {
        erasure_id,
        status: "pending".into(),
        requested_at,
    })
}
