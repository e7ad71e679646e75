//! The SQL of the executor: inbox, saga row, audit, outbox and timers.
//!
//! Personal data never reaches the database in plaintext: the saga's state
//! is written with its personal fields sealed ([`Keyring::seal_json`]) for
//! the saga's row and opened as it is read; outbox bodies are sealed whole
//! for their message's row.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_vault::{Keyring, Place};

use super::{OUTBOX_CHANNEL, StoreError};
use crate::saga::{DeadlineChange, Saga};

type Tx<'a> = Transaction<'a, Postgres>;

/// A saga as stored, for tools and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct SagaRow {
    pub id: Uuid,
    pub user_id: String,
    pub status: String,
    pub terminal: bool,
    pub version: i64,
    pub saga: Saga,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The state as stored: JSON with its personal data sealed.
pub(super) fn state_json(saga: &Saga, vault: &Keyring) -> Result<Value, StoreError> {
    let state = serde_json::to_value(saga).map_err(|e| StoreError::CorruptState {
        saga_id: saga.id,
        detail: e.to_string(),
    })?;
    Ok(vault.seal_json(&state, &Place::saga(saga.id)))
}

/// The stored state with its personal data opened, still as JSON (what a
/// traveller's export shows); [`open_state`] parses it.
pub(crate) fn open_state_json(
    vault: &Keyring,
    id: Uuid,
    state: Value,
) -> Result<Value, autobook_vault::VaultError> {
    vault.open_json(state, &Place::saga(id))
}

/// The saga from its stored state: opened, then parsed. The one decoder of
/// `sagas.state`.
pub fn open_state(vault: &Keyring, id: Uuid, state: Value) -> Result<Saga, StoreError> {
    let state = open_state_json(vault, id, state).map_err(|source| StoreError::Sealed {
        saga_id: id,
        source,
    })?;
    serde_json::from_value(state).map_err(|e| StoreError::CorruptState {
        saga_id: id,
        detail: e.to_string(),
    })
}

/// The step deadline to store with a saga: when its reply is due and the
/// key of the step, or none; `keep` leaves the stored one as it is.
pub(super) struct DeadlineColumns {
    pub keep: bool,
    pub at: Option<DateTime<Utc>>,
    pub key: Option<String>,
}

impl DeadlineColumns {
    pub(super) fn of(change: &DeadlineChange, now: DateTime<Utc>) -> Self {
        match change {
            DeadlineChange::Set { key, after } => DeadlineColumns {
                keep: false,
                at: Some(now + chrono::Duration::from_std(*after).unwrap_or(chrono::Duration::MAX)),
                key: Some(key.as_str().to_owned()),
            },
            DeadlineChange::Keep => DeadlineColumns {
                keep: true,
                at: None,
                key: None,
            },
            DeadlineChange::Clear => DeadlineColumns {
                keep: false,
                at: None,
                key: None,
            },
        }
    }
}

/// Wakes the relays of every process (after commit).
pub(super) async fn announce_outbox(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(OUTBOX_CHANNEL)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Tells listeners (after commit) that the saga reached a terminal status.
pub(super) async fn announce(
    tx: &mut Tx<'_>,
    channel: &str,
    saga_id: Uuid,
) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(channel)
        .bind(saga_id.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds one message to the outbox, its body sealed.
pub(crate) async fn insert_outbox(
    tx: &mut Tx<'_>,
    envelope: &Envelope,
    vault: &Keyring,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (message_id, saga_id, message_type, body, traceparent, tracestate, occurred_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(envelope.message_id)
    .bind(envelope.saga_id)
    .bind(envelope.message_type().as_str())
    .bind(vault.seal_bytes(
        &envelope.encode(),
        &Place::outbox(envelope.message_id),
        "body",
    ))
    .bind(&envelope.trace.traceparent)
    .bind(&envelope.trace.tracestate)
    .bind(envelope.occurred_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Reads one saga row, its state opened with `vault`.
pub async fn load_saga(
    pool: &PgPool,
    vault: &Keyring,
    id: Uuid,
) -> Result<Option<SagaRow>, StoreError> {
    let Some(row) = sqlx::query(
        "SELECT id, user_id, status, terminal, version, state, created_at, updated_at, completed_at FROM sagas WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let saga = open_state(vault, id, row.get("state"))?;
    Ok(Some(SagaRow {
        id: row.get("id"),
        user_id: row.get("user_id"),
        status: row.get("status"),
        terminal: row.get("terminal"),
        version: row.get("version"),
        saga,
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        completed_at: row.get("completed_at"),
    }))
}
