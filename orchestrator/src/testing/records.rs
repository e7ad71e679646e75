//! The offers, bookings and erasures as stored: what the read models and
//! the erasure records hold, rows planted as the owner writes them, and the
//! rewrites the pseudonym tests make.

use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// A booking row as stored.
#[derive(Debug, Clone, FromRow)]
pub struct StoredBooking {
    pub id: Uuid,
    pub saga_id: Uuid,
    pub user_id: String,
    pub status: String,
    pub booking_reference: String,
    pub amount_minor: i64,
}

/// The booking row of `saga_id` (an error when it has none).
pub async fn booking_of_saga(pool: &PgPool, saga_id: Uuid) -> Result<StoredBooking, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, saga_id, user_id, status, booking_reference, amount_minor \
         FROM bookings WHERE saga_id = $1",
    )
    .bind(saga_id)
    .fetch_one(pool)
    .await
}

/// How many booking rows `saga_id` has.
pub async fn bookings_of_saga_count(pool: &PgPool, saga_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM bookings WHERE saga_id = $1")
        .bind(saga_id)
        .fetch_one(pool)
        .await
}

/// Sets the user of `saga_id`'s booking row (a pseudonym as an older build
/// wrote it).
pub async fn overwrite_booking_user(
    pool: &PgPool,
    saga_id: Uuid,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE bookings SET user_id = $2 WHERE saga_id = $1")
        .bind(saga_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(drop)
}

/// How many offer rows there are.
pub async fn offers_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM offers")
        .fetch_one(pool)
        .await
}

/// An offer row as the read model writes it (summary `{}`, in USD),
/// expiring `expires_in_secs` from the database's now (negative: expired).
pub async fn plant_offer(
    pool: &PgPool,
    saga_id: Uuid,
    offer_id: &str,
    user_id: &str,
    total_minor: i64,
    expires_in_secs: f64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO offers (saga_id, offer_id, user_id, summary, total_minor, currency, expires_at) \
         VALUES ($1, $2, $3, '{}', $4, 'USD', now() + make_interval(secs => $5))",
    )
    .bind(saga_id)
    .bind(offer_id)
    .bind(user_id)
    .bind(total_minor)
    .bind(expires_in_secs)
    .execute(pool)
    .await
    .map(drop)
}

/// An erasure record as stored.
#[derive(Debug, Clone, FromRow)]
pub struct StoredErasure {
    pub id: Uuid,
    pub subject: String,
    pub user_id: Option<String>,
    pub status: String,
}

/// Every erasure record.
pub async fn erasures(pool: &PgPool) -> Result<Vec<StoredErasure>, sqlx::Error> {
    sqlx::query_as("SELECT id, subject, user_id, status FROM erasures")
        .fetch_all(pool)
        .await
}

/// The erasure record `id` (an error when there is none).
pub async fn erasure(pool: &PgPool, id: Uuid) -> Result<StoredErasure, sqlx::Error> {
    sqlx::query_as("SELECT id, subject, user_id, status FROM erasures WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// Whether erasure `id` is completed.
pub async fn erasure_completed(pool: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM erasures WHERE id = $1 AND status = 'completed')",
    )
    .bind(id)
    .fetch_one(pool)
    .await
}

/// The sagas (id, status) of the user whose erasure `id` is, while the
/// record still names the user.
pub async fn sagas_of_erasure(pool: &PgPool, id: Uuid) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, s.status FROM sagas s JOIN erasures e ON e.user_id = s.user_id \
         WHERE e.id = $1",
    )
    .bind(id)
    .fetch_all(pool)
    .await
}

/// Sets the subject of erasure `id` (as an older build wrote it).
pub async fn overwrite_erasure_subject(
    pool: &PgPool,
    id: Uuid,
    subject: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE erasures SET subject = $2 WHERE id = $1")
        .bind(id)
        .bind(subject)
        .execute(pool)
        .await
        .map(drop)
}

/// An erasure record to plant.
#[derive(Debug, Clone)]
pub struct PlantedErasure<'a> {
    pub id: Uuid,
    pub subject: &'a str,
    pub user_id: Option<&'a str>,
    /// `pending` or `completed`.
    pub status: &'a str,
    /// Completed at the database's now, or no completion time.
    pub completed_now: bool,
    pub sagas_erased: i32,
}

/// Writes the erasure record as given.
pub async fn plant_erasure(pool: &PgPool, erasure: &PlantedErasure<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO erasures (id, subject, user_id, status, completed_at, sagas_erased) \
         VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN now() END, $6)",
    )
    .bind(erasure.id)
    .bind(erasure.subject)
    .bind(erasure.user_id)
    .bind(erasure.status)
    .bind(erasure.completed_now)
    .bind(erasure.sagas_erased)
    .execute(pool)
    .await
    .map(drop)
}
