//! The record of the commands each saga sent, as stored, and the database
//! as it was before the record existed.

use sqlx::PgPool;
use uuid::Uuid;

/// Drops the record of commands and runs its migration again: the record
/// as a database from before it existed ends up with it, filled from the
/// outbox.
pub async fn rerun_command_record_migration(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("DROP TABLE saga_commands")
        .execute(pool)
        .await?;
    sqlx::raw_sql(include_str!(
        "../../../migrations/20261207000002_saga_commands.sql"
    ))
    .execute(pool)
    .await
    .map(drop)
}

/// The idempotency key recorded with `saga_id`'s command (`None` for a
/// command recorded without its step); an error unless there is exactly
/// one row to read first.
pub async fn recorded_key(pool: &PgPool, saga_id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT idempotency_key FROM saga_commands WHERE saga_id = $1")
        .bind(saga_id)
        .fetch_one(pool)
        .await
}
