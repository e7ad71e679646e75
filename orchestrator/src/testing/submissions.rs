//! The trips recorded as accepted (`trip_submissions`): how many there
//! are, and a submission written directly, as the gateway records one
//! before publishing it.

use sqlx::PgPool;
use uuid::Uuid;

/// How many trip submissions are recorded.
pub async fn count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM trip_submissions")
        .fetch_one(pool)
        .await
}

/// Records trip `trip_id` of `user_id` as accepted (request hash `test`,
/// no idempotency key), as the gateway does before publishing it.
pub async fn record(pool: &PgPool, trip_id: Uuid, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO trip_submissions (trip_id, user_id, request_hash) VALUES ($1, $2, 'test')",
    )
    .bind(trip_id)
    .bind(user_id)
    .execute(pool)
    .await
    .map(drop)
}
