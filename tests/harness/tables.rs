//! What the test database holds, for tests that must prove something is
//! not stored anywhere (personal data after erasure or in clear), and
//! waits on the orchestrators' privacy work.

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use autobook_orchestrator::testing::{announce, dead_letters, records};

/// Every row of every table of the public schema, one per line, as
/// PostgreSQL renders the row as text (bytea in hex).
pub async fn dump_tables(pool: &PgPool) -> String {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut all = String::new();
    for table in tables {
        let query = format!("SELECT t::text FROM \"{table}\" t");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
            .fetch_all(pool)
            .await
            .unwrap();
        for row in rows {
            all.push_str(&row);
            all.push('\n');
        }
    }
    all
}

/// Waits (at most 60 s) until the erasure is completed, woken by the
/// orchestrator's announcement.
pub async fn erasure_completed(pool: &PgPool, erasure: Uuid) {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool)
        .await
        .unwrap();
    listener
        .listen(autobook_orchestrator::privacy::erasure::ERASURE_COMPLETED_CHANNEL)
        .await
        .unwrap();
    let done = || async { records::erasure_completed(pool, erasure).await.unwrap() };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done().await {
        if tokio::time::timeout_at(deadline, listener.recv())
            .await
            .is_err()
        {
            let sagas = records::sagas_of_erasure(pool, erasure).await.unwrap();
            panic!("erasure {erasure} did not complete within 60 s; its user's sagas: {sagas:?}");
        }
    }
}

/// Starts listening for dead letters archived from now on: each insert into
/// `dead_letters` announces its saga id. Returns the listener to pass to
/// [`until_archived`]; drop it before the teardown (the database is
/// dropped only once no connection is left).
pub async fn listen_archive(pool: &PgPool) -> sqlx::postgres::PgListener {
    announce::archived_dead_letters(pool).await.unwrap();
    let mut listener = sqlx::postgres::PgListener::connect_with(pool)
        .await
        .unwrap();
    listener
        .listen(announce::DEAD_LETTER_CHANNEL)
        .await
        .unwrap();
    listener
}

/// Waits (at most 30 s) until a dead letter of saga `id` is archived;
/// returns the dead letter's id.
pub async fn until_archived(
    pool: &PgPool,
    listener: &mut sqlx::postgres::PgListener,
    id: Uuid,
) -> Uuid {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let archived = dead_letters::of_saga(pool, id).await.unwrap();
        if let Some(&archived) = archived.first() {
            return archived;
        }
        // Any archived dead letter wakes the check; its own ends the wait.
        tokio::time::timeout_at(deadline, listener.recv())
            .await
            .unwrap_or_else(|_| panic!("no dead letter of saga {id} archived within 30 s"))
            .unwrap();
    }
}
