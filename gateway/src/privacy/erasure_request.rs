//! `DELETE /v1/me`: records that the user asked to be erased. The
//! orchestrators carry it out (stop the running sagas, then scrub); asking
//! again while it is pending returns the same erasure. The row is written
//! by the orchestrator's [`erasures`] on the gateway's connection.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_orchestrator::admin::erasures;

use super::PrivacyError;
use crate::db::as_user;

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
    let pending = erasures::request(&mut tx, user.as_str()).await?;
    tx.commit().await?;
    Ok(ErasureReceipt {
        erasure_id: pending.id,
        status: "pending".into(),
        requested_at: pending.requested_at,
    })
}
