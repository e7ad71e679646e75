//! Counts and timings of the orchestrator's tables for the demo, bench
//! and chaos harness: how many sagas finished and how, when each step was
//! entered, what the dead-letter archive holds, and every saga with its
//! state (decoded by the store, the one decoder of `sagas.state`).

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_vault::Keyring;

use crate::store::{SagaRow, StoreError, decode_state};

/// Every saga's id.
pub async fn saga_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM sagas")
        .fetch_all(pool)
        .await
}

/// How many sagas reached a terminal status.
pub async fn finished_sagas(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM sagas WHERE terminal")
        .fetch_one(pool)
        .await
}

/// Sagas by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcomes {
    /// Terminal, any status.
    pub finished: i64,
    pub booked: i64,
    /// Terminal and not booked (failed, stuck, aborted, cancelled).
    pub not_booked: i64,
    pub unfinished: i64,
}

/// Every saga, counted by outcome.
pub async fn outcomes(pool: &PgPool) -> Result<Outcomes, sqlx::Error> {
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE terminal) AS finished, \
         count(*) FILTER (WHERE status = 'booked') AS booked, \
         count(*) FILTER (WHERE terminal AND status <> 'booked') AS not_booked, \
         count(*) FILTER (WHERE NOT terminal) AS unfinished FROM sagas",
    )
    .fetch_one(pool)
    .await?;
    Ok(Outcomes {
        finished: row.get("finished"),
        booked: row.get("booked"),
        not_booked: row.get("not_booked"),
        unfinished: row.get("unfinished"),
    })
}

/// Which of `ids` reached a terminal status.
pub async fn finished_among(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM sagas WHERE terminal AND id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// When each of `ids` that reached a terminal status completed.
pub async fn completions(
    pool: &PgPool,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, Option<DateTime<Utc>>)>, sqlx::Error> {
    sqlx::query_as("SELECT id, completed_at FROM sagas WHERE terminal AND id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await
}

/// One transition of a saga, and when the saga left the status it entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub saga_id: Uuid,
    pub version: i64,
    pub to_status: String,
    pub recorded_at: DateTime<Utc>,
    pub left_at: Option<DateTime<Utc>>,
}

/// Every transition of the sagas `ids`.
pub async fn transitions(pool: &PgPool, ids: &[Uuid]) -> Result<Vec<Transition>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT saga_id, version, to_status, recorded_at, \
         lead(recorded_at) OVER (PARTITION BY saga_id ORDER BY version) AS left_at \
         FROM saga_audit WHERE saga_id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| Transition {
            saga_id: row.get("saga_id"),
            version: row.get("version"),
            to_status: row.get("to_status"),
            recorded_at: row.get("recorded_at"),
            left_at: row.get("left_at"),
        })
        .collect())
}

/// The rows the orchestrator's work leaves behind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    /// Sagas in a terminal status.
    pub finished_sagas: i64,
    /// Events handled (`inbox` rows).
    pub events: i64,
    /// Commands written (`outbox` rows).
    pub outbox: i64,
    /// Average size of an outbox body, in bytes.
    pub body_bytes: f64,
    /// Relay batches (distinct `outbox.published_at`).
    pub relay_batches: i64,
    /// Timer batches (distinct `saga_timers.fired_at`).
    pub timer_batches: i64,
}

/// Counts over every saga in the database.
pub async fn work(pool: &PgPool) -> Result<Work, sqlx::Error> {
    let row = sqlx::query(
        "SELECT \
         (SELECT count(*) FROM sagas WHERE terminal) AS sagas, \
         (SELECT count(*) FROM inbox) AS events, \
         (SELECT count(*) FROM outbox) AS outbox, \
         (SELECT coalesce(avg(length(body)), 0)::float8 FROM outbox) AS body_bytes, \
         (SELECT count(DISTINCT published_at) FROM outbox) AS relay_batches, \
         (SELECT count(DISTINCT fired_at) FROM saga_timers) AS timer_batches",
    )
    .fetch_one(pool)
    .await?;
    Ok(Work {
        finished_sagas: row.get("sagas"),
        events: row.get("events"),
        outbox: row.get("outbox"),
        body_bytes: row.get("body_bytes"),
        relay_batches: row.get("relay_batches"),
        timer_batches: row.get("timer_batches"),
    })
}

/// Archived dead letters counted by role, code and message type.
pub async fn dead_letters_by_kind(
    pool: &PgPool,
) -> Result<Vec<(String, String, Option<String>, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT role, code, message_type, count(*) FROM dead_letters GROUP BY 1, 2, 3")
        .fetch_all(pool)
        .await
}

/// Archived dead letters of the messages `message_ids`, counted by code.
pub async fn dead_letter_codes(
    pool: &PgPool,
    message_ids: &[Uuid],
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT code, count(*) FROM dead_letters WHERE message_id = ANY($1) GROUP BY code",
    )
    .bind(message_ids)
    .fetch_all(pool)
    .await
}

/// Every saga with its state opened with `vault`.
pub async fn every_saga(pool: &PgPool, vault: &Keyring) -> Result<Vec<SagaRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, user_id, status, terminal, version, state, created_at, updated_at, completed_at FROM sagas",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let id: Uuid = row.get("id");
            Ok(SagaRow {
                id,
                user_id: row.get("user_id"),
                status: row.get("status"),
                terminal: row.get("terminal"),
                version: row.get("version"),
                saga: decode_state(vault, id, row.get("state"))?,
                created_at: row.get("created_at"),
                updated_at: row.get("updated_at"),
                completed_at: row.get("completed_at"),
            })
        })
        .collect()
}

/// Writes sagas straight into the schema, each with one timer due at
/// `due_at`, in one transaction: the bench's parked sagas. Each row is a
/// saga id, its user id, its state as stored (sealed JSON text) and its
/// timer (JSON text), all with status `status` at version `version`.
pub async fn insert_parked(
    pool: &PgPool,
    rows: &[(Uuid, String, String, String)],
    status: &str,
    version: i64,
    due_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let users: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let states: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    let timers: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO sagas (id, user_id, status, terminal, state, version) \
         SELECT id, user_id, $4, false, state::jsonb, $5 \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS p(id, user_id, state)",
    )
    .bind(&ids)
    .bind(&users)
    .bind(&states)
    .bind(status)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO saga_timers (saga_id, timer, due_at) \
         SELECT id, timer::jsonb, $3 FROM UNNEST($1::uuid[], $2::text[]) AS p(id, timer)",
    )
    .bind(&ids)
    .bind(&timers)
    .bind(due_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}
