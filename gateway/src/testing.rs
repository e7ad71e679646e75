//! Test support, compiled only with the `testing` feature: the typed reads
//! of the gateway's table (`stripe_webhook_events`) that the integration
//! suites need to witness what is stored, and the announcement of each
//! event recorded. The roles never use it; the test crates call it instead
//! of naming the table in SQL.

use sqlx::PgPool;
use uuid::Uuid;

/// The channel [`announce_recorded_events`] announces on; the payload is
/// the event id.
pub const WEBHOOK_RECORDED_CHANNEL: &str = "test_webhook_recorded";

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
