//! Test support, compiled only with the `testing` feature: the typed reads
//! and the deliberate writes of the gateway's tables (`trip_submissions`,
//! `stripe_webhook_events`) that the integration suites need to witness
//! what is stored, and the rows and hand-written queries of the row-level
//! security tests. The roles never use it; the test crates call it instead
//! of naming these tables in SQL.

use sqlx::PgPool;
use uuid::Uuid;

/// The channel [`announce_recorded_events`] announces on; the payload is
/// the event id.
pub const WEBHOOK_RECORDED_CHANNEL: &str = "test_webhook_recorded";

/// How many trip submissions are recorded.
pub async fn submission_count(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM trip_submissions")
        .fetch_one(pool)
        .await
}

/// Records trip `trip_id` of `user_id` as accepted (request hash `test`,
/// no idempotency key), as the gateway does before publishing it.
pub async fn record_submission(
    pool: &PgPool,
    trip_id: Uuid,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO trip_submissions (trip_id, user_id, request_hash) VALUES ($1, $2, 'test')",
    )
    .bind(trip_id)
    .bind(user_id)
    .execute(pool)
    .await
    .map(drop)
}

/// The recorded webhook events, by event id: (event id, payment intent,
/// saga).
pub async fn recorded_events(
    pool: &PgPool,
) -> Result<Vec<(String, Option<String>, Option<Uuid>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT event_id, payment_intent_id, saga_id FROM stripe_webhook_events ORDER BY event_id",
    )
    .fetch_all(pool)
    .await
}

/// How many recorded webhook events name `saga_id`.
pub async fn recorded_for_saga(pool: &PgPool, saga_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM stripe_webhook_events WHERE saga_id = $1")
        .bind(saga_id)
        .fetch_one(pool)
        .await
}

/// From now on each recorded webhook event is announced on
/// [`WEBHOOK_RECORDED_CHANNEL`].
pub async fn announce_recorded_events(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "CREATE FUNCTION test_webhook_announce() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN PERFORM pg_notify('test_webhook_recorded', NEW.event_id); RETURN NEW; END $$; \
         CREATE TRIGGER test_webhook_announce AFTER INSERT ON stripe_webhook_events \
         FOR EACH ROW EXECUTE FUNCTION test_webhook_announce();",
    )
    .execute(pool)
    .await
    .map(drop)
}

/// Row-level security tests: `user`'s submission of trip `trip_id` (under
/// the idempotency key `key-1`), written as the table's owner.
pub async fn plant_user_submission(
    pool: &PgPool,
    trip_id: Uuid,
    user: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO trip_submissions (trip_id, user_id, idempotency_key, request_hash) \
         VALUES ($1, $2, 'key-1', 'hash')",
    )
    .bind(trip_id)
    .bind(user)
    .execute(pool)
    .await
    .map(drop)
}

/// Row-level security tests: the gateway's tables holding user data, each
/// with the expression that tells whose a row is.
pub const USER_TABLES: &[(&str, &str)] = &[("trip_submissions", "user_id")];

/// Row-level security tests: a write in another user's name.
pub fn writes_to_others_rows(other_user: &str) -> Vec<String> {
    vec![format!(
        "INSERT INTO trip_submissions (trip_id, user_id, request_hash) \
         VALUES (gen_random_uuid(), '{other_user}', 'h')"
    )]
}
