//! Test support, compiled only with the `testing` feature: the typed reads
//! and the deliberate tamperings of the provider-call ledger
//! (`provider_calls`) that the integration suites need to witness what is
//! stored (a claim's status and fence, a reply sealed at rest) and to stage
//! what a crashed or refused worker leaves behind. The roles never use it;
//! the test crates call it instead of naming the table in SQL.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};
use uuid::Uuid;

/// One call of the ledger as stored; `reply` sealed at its place.
#[derive(Debug, Clone, FromRow)]
pub struct StoredCall {
    pub idempotency_key: String,
    pub saga_id: Uuid,
    pub step: String,
    pub command_message_id: Uuid,
    pub status: String,
    pub fence: i32,
    pub claimed_at: DateTime<Utc>,
    pub reply: Option<Vec<u8>>,
}

const COLUMNS: &str = "SELECT idempotency_key, saga_id, step, command_message_id, status, fence, \
                       claimed_at, reply FROM provider_calls";

/// The call claimed under `idempotency_key` (an error when there is none).
pub async fn call(pool: &PgPool, idempotency_key: &str) -> Result<StoredCall, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} WHERE idempotency_key = $1"
    )))
    .bind(idempotency_key)
    .fetch_one(pool)
    .await
}

/// `saga_id`'s call for `step` (an error when there is none).
pub async fn call_of_step(
    pool: &PgPool,
    saga_id: Uuid,
    step: &str,
) -> Result<StoredCall, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{COLUMNS} WHERE saga_id = $1 AND step = $2"
    )))
    .bind(saga_id)
    .bind(step)
    .fetch_one(pool)
    .await
}

/// Every call of `saga_id` with a stored reply: (idempotency key, reply).
pub async fn replies_of_saga(
    pool: &PgPool,
    saga_id: Uuid,
) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT idempotency_key, reply FROM provider_calls WHERE saga_id = $1 AND reply IS NOT NULL",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await
}

/// Every stored reply of the ledger: (idempotency key, reply).
pub async fn replies(pool: &PgPool) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT idempotency_key, reply FROM provider_calls WHERE reply IS NOT NULL")
        .fetch_all(pool)
        .await
}

/// How many calls are completed.
pub async fn completed_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM provider_calls WHERE status = 'completed'")
        .fetch_one(pool)
        .await
}

/// Replaces the stored reply of `idempotency_key` with `reply`, as written
/// (sealed as an older build did).
pub async fn overwrite_reply(
    pool: &PgPool,
    idempotency_key: &str,
    reply: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE provider_calls SET reply = $2 WHERE idempotency_key = $1")
        .bind(idempotency_key)
        .bind(reply)
        .execute(pool)
        .await
        .map(drop)
}

/// Copies the stored (sealed) reply of call `from` over the reply of call
/// `into`, as someone with plain SQL access could.
pub async fn transplant_reply(pool: &PgPool, into: &str, from: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE provider_calls SET reply = (SELECT reply FROM provider_calls WHERE idempotency_key = $2) \
         WHERE idempotency_key = $1",
    )
    .bind(into)
    .bind(from)
    .execute(pool)
    .await
    .map(drop)
}

/// The claim as it was reopened.
#[derive(Debug, Clone, Copy)]
pub struct ReopenedClaim {
    pub fence: i32,
    pub claimed_at: DateTime<Utc>,
}

/// Puts the call `idempotency_key` back in flight, its reply gone, claimed
/// `claimed_secs_ago` seconds before the database's now: the state a
/// handler leaves when storing its reply and releasing its claim failed
/// (or a live owner calling right now, at 0).
pub async fn reopen_claim(
    pool: &PgPool,
    idempotency_key: &str,
    claimed_secs_ago: f64,
) -> Result<ReopenedClaim, sqlx::Error> {
    let (fence, claimed_at) = sqlx::query_as(
        "UPDATE provider_calls SET status = 'in_flight', reply = NULL, completed_at = NULL, \
         claimed_at = now() - make_interval(secs => $2) WHERE idempotency_key = $1 \
         RETURNING fence, claimed_at",
    )
    .bind(idempotency_key)
    .bind(claimed_secs_ago)
    .fetch_one(pool)
    .await?;
    Ok(ReopenedClaim { fence, claimed_at })
}

/// From now on storing a completed call of `step` fails as if the database
/// went away; each refusal is counted (see [`refused_completions`]).
pub async fn refuse_completions(pool: &PgPool, step: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SEQUENCE test_refusals; \
         CREATE FUNCTION refuse_reply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           PERFORM nextval('test_refusals'); \
           RAISE EXCEPTION 'the database went away' USING ERRCODE = 'connection_failure'; END $$; \
         CREATE TRIGGER refuse_reply BEFORE UPDATE ON provider_calls FOR EACH ROW \
         WHEN (NEW.step = '{}' AND NEW.status = 'completed') \
         EXECUTE FUNCTION refuse_reply();",
        step.replace('\'', "''")
    )))
    .execute(pool)
    .await
    .map(drop)
}

/// How many completions [`refuse_completions`] refused so far.
pub async fn refused_completions(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let (last, called): (i64, bool) =
        sqlx::query_as("SELECT last_value, is_called FROM test_refusals")
            .fetch_one(pool)
            .await?;
    Ok(if called { last } else { 0 })
}

/// Completions of calls are stored again.
pub async fn allow_completions(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("DROP TRIGGER refuse_reply ON provider_calls")
        .execute(pool)
        .await
        .map(drop)
}

/// From now on claiming `saga_id`'s call for `step` fails (the ledger is
/// offline for it), through a trigger named `trigger`.
pub async fn refuse_claims(
    pool: &PgPool,
    trigger: &str,
    saga_id: Uuid,
    step: &str,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE OR REPLACE FUNCTION refuse_call() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'the ledger is offline'; END $$; \
         CREATE TRIGGER {trigger} BEFORE INSERT ON provider_calls FOR EACH ROW \
         WHEN (NEW.saga_id = '{saga_id}' AND NEW.step = '{}') EXECUTE FUNCTION refuse_call();",
        step.replace('\'', "''")
    )))
    .execute(pool)
    .await
    .map(drop)
}

/// Drops the trigger `trigger` of [`refuse_claims`]: the ledger is back.
pub async fn allow_claims(pool: &PgPool, trigger: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP TRIGGER {trigger} ON provider_calls"
    )))
    .execute(pool)
    .await
    .map(drop)
}
