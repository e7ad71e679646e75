//! The trips the gateway accepted (`trip_submissions`), recorded for
//! idempotent submission and forgotten by erasure.
//!
//! The gateway records a trip request here, in the transaction that
//! publishes it, before the orchestrator has taken it; a retry under the
//! same `Idempotency-Key` finds its trip here, and until the saga starts
//! the trip is shown and exported from here. The gateway runs these on its
//! own connection (its database role, the caller's user id set), so
//! row-level security decides which rows are seen. An erasure forgets the
//! user's submissions in its own transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// A submission recorded under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Keyed {
    pub trip_id: Uuid,
    /// The hash of the request that was recorded, which tells a retry from
    /// a different request under the same key.
    pub request_hash: String,
}

/// Records trip `trip_id` of `user_id` as accepted, under
/// `idempotency_key` if there is one. Returns `false`, recording nothing,
/// when the user already recorded a submission under that key.
pub async fn record(
    conn: &mut PgConnection,
    trip_id: Uuid,
    user_id: &str,
    idempotency_key: Option<&str>,
    request_hash: &str,
) -> Result<bool, sqlx::Error> {
    let recorded: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO trip_submissions (trip_id, user_id, idempotency_key, request_hash) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING \
         RETURNING trip_id",
    )
    .bind(trip_id)
    .bind(user_id)
    .bind(idempotency_key)
    .bind(request_hash)
    .fetch_optional(conn)
    .await?;
    Ok(recorded.is_some())
}

/// The submission recorded under `idempotency_key` that the connection
/// sees (on the gateway's connection, the caller's own);
/// [`sqlx::Error::RowNotFound`] if there is none.
pub async fn by_key(conn: &mut PgConnection, idempotency_key: &str) -> Result<Keyed, sqlx::Error> {
    sqlx::query_as("SELECT trip_id, request_hash FROM trip_submissions WHERE idempotency_key = $1")
        .bind(idempotency_key)
        .fetch_one(conn)
        .await
}

/// The submissions the connection sees, oldest first: each trip's id and
/// what a traveller's export shows of it (JSON: trip id, idempotency key,
/// when it was submitted).
pub async fn exported(conn: &mut PgConnection) -> Result<Vec<(Uuid, Value)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT trip_id, jsonb_build_object('trip_id', trip_id, 'idempotency_key', idempotency_key, \
         'submitted_at', submitted_at) FROM trip_submissions ORDER BY submitted_at",
    )
    .fetch_all(conn)
    .await
}

/// When trip `trip_id` was recorded as accepted, if it was and the
/// connection sees it.
pub async fn submitted_at(
    conn: &mut PgConnection,
    trip_id: Uuid,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT submitted_at FROM trip_submissions WHERE trip_id = $1")
        .bind(trip_id)
        .fetch_optional(conn)
        .await
}

/// Forgets every submission of `user_id`.
pub(crate) async fn forget_user(conn: &mut PgConnection, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM trip_submissions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await
        .map(drop)
}

/// Forgets the submission of trip `trip_id`.
pub(crate) async fn forget_trip(conn: &mut PgConnection, trip_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM trip_submissions WHERE trip_id = $1")
        .bind(trip_id)
        .execute(conn)
        .await
        .map(drop)
}
