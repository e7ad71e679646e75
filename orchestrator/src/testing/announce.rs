//! Triggers that announce new rows of the orchestrator's tables on a
//! notification channel, for tests that wait on them instead of polling:
//! the orchestrator itself announces neither inbox rows nor archived dead
//! letters.

use sqlx::PgPool;

/// The channel [`inbox_rows`] announces on; the payload is the message id.
pub const INBOX_CHANNEL: &str = "test_inbox";

/// The channel [`archived_dead_letters`] announces on; the payload is the
/// dead letter's saga id (empty when it has none).
pub const DEAD_LETTER_CHANNEL: &str = "test_dead_letter";

/// From now on each row inserted into the inbox is announced on
/// [`INBOX_CHANNEL`]. Installing it again changes nothing.
pub async fn inbox_rows(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "CREATE OR REPLACE FUNCTION test_inbox_announce() RETURNS trigger \
         LANGUAGE plpgsql AS $$ BEGIN \
         PERFORM pg_notify('test_inbox', NEW.message_id::text); RETURN NEW; END $$; \
         CREATE OR REPLACE TRIGGER test_inbox_announce AFTER INSERT ON inbox \
         FOR EACH ROW EXECUTE FUNCTION test_inbox_announce();",
    )
    .execute(pool)
    .await
    .map(drop)
}

/// From now on each archived dead letter is announced on
/// [`DEAD_LETTER_CHANNEL`]. Installing it again changes nothing.
pub async fn archived_dead_letters(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(
        "CREATE OR REPLACE FUNCTION test_dead_letter_announce() RETURNS trigger \
         LANGUAGE plpgsql AS $$ BEGIN \
         PERFORM pg_notify('test_dead_letter', COALESCE(NEW.saga_id::text, '')); RETURN NEW; END $$; \
         CREATE OR REPLACE TRIGGER test_dead_letter_announce AFTER INSERT ON dead_letters \
         FOR EACH ROW EXECUTE FUNCTION test_dead_letter_announce();",
    )
    .execute(pool)
    .await
    .map(drop)
}
