//! The sagas as stored: the raw (sealed) state, rows planted as the store
//! writes them, the tamperings the placement, rotation and pseudonym tests
//! make, and counts of what a saga left in the store's tables.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A saga row to plant, as the store writes one.
#[derive(Debug, Clone)]
pub struct PlantedSaga<'a> {
    pub id: Uuid,
    pub user_id: &'a str,
    pub status: &'a str,
    pub terminal: bool,
    /// Written as given (not sealed).
    pub state: Value,
    pub version: i64,
}

/// Writes the saga row as given.
pub async fn plant(pool: &PgPool, saga: &PlantedSaga<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sagas (id, user_id, status, terminal, state, version) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(saga.id)
    .bind(saga.user_id)
    .bind(saga.status)
    .bind(saga.terminal)
    .bind(&saga.state)
    .bind(saga.version)
    .execute(pool)
    .await
    .map(drop)
}

/// The stored state of saga `id`, personal values still sealed.
pub async fn raw_state(pool: &PgPool, id: Uuid) -> Result<Value, sqlx::Error> {
    sqlx::query_scalar("SELECT state FROM sagas WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// The stored states of the sagas `ids`, as text, run together.
pub async fn raw_states_text(pool: &PgPool, ids: &[Uuid]) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT string_agg(state::text, '') FROM sagas WHERE id = ANY($1)")
        .bind(ids)
        .fetch_one(pool)
        .await
}

/// The stored status of saga `id`.
pub async fn status(pool: &PgPool, id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM sagas WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// Replaces the stored state of saga `id` with `state`, as written (sealed
/// as an older build did, or no saga at all).
pub async fn overwrite_state(pool: &PgPool, id: Uuid, state: &Value) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sagas SET state = $2 WHERE id = $1")
        .bind(id)
        .bind(state)
        .execute(pool)
        .await
        .map(drop)
}

/// Copies the stored (sealed) value at `path` of saga `from`'s state into
/// saga `into`'s state, as someone with plain SQL access could.
pub async fn transplant_state_value(
    pool: &PgPool,
    into: Uuid,
    from: Uuid,
    path: &[&str],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sagas SET state = jsonb_set(state, $3::text[], \
         (SELECT state #> $3::text[] FROM sagas WHERE id = $2)) WHERE id = $1",
    )
    .bind(into)
    .bind(from)
    .bind(path)
    .execute(pool)
    .await
    .map(drop)
}

/// Locks saga `id`'s row in the transaction of `conn`, as a writer about
/// to move the saga does.
pub async fn lock_row(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM sagas WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}

/// Whether a session of this database is waiting on a row lock to rewrite
/// a saga's state (a key rotation's re-seal).
pub async fn reseal_waits_on_lock(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
         AND wait_event_type = 'Lock' AND query LIKE 'UPDATE sagas SET state%')",
    )
    .fetch_one(pool)
    .await
}

/// Moves saga `id` to its next version with `state` (already sealed), in
/// the transaction of `conn`, as a writer does.
pub async fn write_next_version(
    conn: &mut PgConnection,
    id: Uuid,
    state: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sagas SET version = version + 1, state = $2 WHERE id = $1")
        .bind(id)
        .bind(state)
        .execute(conn)
        .await
        .map(drop)
}

/// Sets the user of saga `id`, in its column and in its state's trip (a
/// pseudonym as an older build wrote it).
pub async fn overwrite_user(pool: &PgPool, id: Uuid, user_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sagas SET user_id = $2, state = jsonb_set(state, '{trip,user_id}', to_jsonb($2::text)) \
         WHERE id = $1",
    )
    .bind(id)
    .bind(user_id)
    .execute(pool)
    .await
    .map(drop)
}

/// The user of saga `id`: its column, and its state's trip's.
pub async fn users(pool: &PgPool, id: Uuid) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT user_id, state #>> '{trip,user_id}' FROM sagas WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
}

/// How many sagas still hold sealed personal data: in their state, or in
/// passenger rows not erased.
pub async fn holding_sealed_personal_data(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM sagas WHERE state::text LIKE '%pii:v1:%' \
         OR id IN (SELECT saga_id FROM passengers WHERE erased_at IS NULL)",
    )
    .fetch_one(pool)
    .await
}

/// Rows of the store's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRows {
    pub sagas: i64,
    pub audit: i64,
    pub inbox: i64,
    pub outbox: i64,
}

/// How many rows of each of the store's tables belong to `saga`, or to
/// any saga when `None`.
pub async fn stored_rows(pool: &PgPool, saga: Option<Uuid>) -> Result<StoredRows, sqlx::Error> {
    let (sagas, audit, inbox, outbox) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM sagas WHERE $1::uuid IS NULL OR id = $1), \
         (SELECT count(*) FROM saga_audit WHERE $1::uuid IS NULL OR saga_id = $1), \
         (SELECT count(*) FROM inbox WHERE $1::uuid IS NULL OR saga_id = $1), \
         (SELECT count(*) FROM outbox WHERE $1::uuid IS NULL OR saga_id = $1)",
    )
    .bind(saga)
    .fetch_one(pool)
    .await?;
    Ok(StoredRows {
        sagas,
        audit,
        inbox,
        outbox,
    })
}
