//! The passengers read model as stored: personal values sealed (or, in a
//! row planted as from before encryption, plain), and the rewrites the
//! placement and pseudonym tests make of them.

use chrono::NaiveDate;
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// One passenger row as stored; every personal column as written (sealed,
/// a placeholder once erased, or plain in a planted row).
#[derive(Debug, Clone, FromRow)]
pub struct StoredPassenger {
    pub saga_id: Uuid,
    pub position: i16,
    pub user_id: String,
    pub given_name: String,
    pub family_name: String,
    pub born_on: String,
    pub email: String,
    pub phone_number: String,
    pub travel_ends_on: NaiveDate,
}

const COLUMNS: &str = "SELECT saga_id, position, user_id, given_name, family_name, born_on, \
                       email, phone_number, travel_ends_on FROM passengers";

/// Writes `row` as the read model would (title `ms`, gender `f`), each
/// value as given; a row already at that place is left as it is.
pub async fn plant(pool: &PgPool, row: &StoredPassenger) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO passengers (saga_id, position, user_id, title, gender, given_name, \
         family_name, born_on, email, phone_number, travel_ends_on) \
         VALUES ($1, $2, $3, 'ms', 'f', $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
    )
    .bind(row.saga_id)
    .bind(row.position)
    .bind(&row.user_id)
    .bind(&row.given_name)
    .bind(&row.family_name)
    .bind(&row.born_on)
    .bind(&row.email)
    .bind(&row.phone_number)
    .bind(row.travel_ends_on)
    .execute(pool)
    .await
    .map(drop)
}

/// Every passenger row.
pub async fn all(pool: &PgPool) -> Result<Vec<StoredPassenger>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} ORDER BY saga_id, position"
    )))
    .fetch_all(pool)
    .await
}

/// The passenger rows of `saga_id`, by position.
pub async fn of_saga(pool: &PgPool, saga_id: Uuid) -> Result<Vec<StoredPassenger>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} WHERE saga_id = $1 ORDER BY position"
    )))
    .bind(saga_id)
    .fetch_all(pool)
    .await
}

/// The stored given name of the passenger at `position` of `saga_id`.
pub async fn given_name(
    pool: &PgPool,
    saga_id: Uuid,
    position: i16,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT given_name FROM passengers WHERE saga_id = $1 AND position = $2")
        .bind(saga_id)
        .bind(position)
        .fetch_one(pool)
        .await
}

/// Overwrites the stored given name of the passenger at `position` of
/// `saga_id` with `value` as given (a value from another row, or sealed as
/// an older build did).
pub async fn overwrite_given_name(
    pool: &PgPool,
    saga_id: Uuid,
    position: i16,
    value: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE passengers SET given_name = $3 WHERE saga_id = $1 AND position = $2")
        .bind(saga_id)
        .bind(position)
        .bind(value)
        .execute(pool)
        .await
        .map(drop)
}

/// Sets the user of every passenger row of `saga_id` (a pseudonym as an
/// older build wrote it).
pub async fn overwrite_user(
    pool: &PgPool,
    saga_id: Uuid,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE passengers SET user_id = $2 WHERE saga_id = $1")
        .bind(saga_id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(drop)
}

/// How many passenger rows still hold personal data (not erased).
pub async fn unerased_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM passengers WHERE erased_at IS NULL")
        .fetch_one(pool)
        .await
}
