//! The SQL of the executor: inbox, saga row, audit, outbox and timers.
//!
//! Personal data never reaches the database in plaintext: the saga's state
//! is written with its personal fields sealed ([`Keyring::seal_json`]) for
//! the saga's row and opened as it is read; outbox bodies are sealed whole
//! for their message's row.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use autobook_broker::propagation;
use autobook_contracts::Envelope;
use autobook_contracts::events::TimerFired;
use autobook_vault::{Keyring, Place};

use super::{OUTBOX_CHANNEL, StoreError};
use crate::saga::{DeadlineChange, Decision, Effect, Saga};
use crate::saga_metrics::Timings;

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

/// Records the message id; false when it was recorded before (a duplicate).
pub(super) async fn record_in_inbox(
    tx: &mut Tx<'_>,
    envelope: &Envelope,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO inbox (message_id, saga_id, message_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(envelope.message_id)
    .bind(envelope.saga_id)
    .bind(envelope.message_type().as_str())
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// A stored saga as the executor reads it.
pub(super) struct Stored {
    /// An unreadable state is an error value so the caller can reject the
    /// message, not crash.
    pub saga: Result<Saga, StoreError>,
    pub version: i64,
    pub timings: Timings,
}

/// The saga, its version and its timings (by the database clock), if it exists.
pub(super) async fn read_saga(
    tx: &mut Tx<'_>,
    id: Uuid,
    vault: &Keyring,
) -> Result<Option<Stored>, StoreError> {
    let row = sqlx::query(
        "SELECT state, version, \
         EXTRACT(EPOCH FROM now() - status_since)::float8 AS in_status, \
         EXTRACT(EPOCH FROM now() - created_at)::float8 AS since_start \
         FROM sagas WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|row| {
        let saga = open_state(vault, id, row.get("state"));
        Stored {
            saga,
            version: row.get("version"),
            timings: Timings {
                in_status: seconds(row.get("in_status")),
                since_start: seconds(row.get("since_start")),
            },
        }
    }))
}

/// A non-negative duration from seconds (clocks never run backwards here,
/// but a negative or odd value must not panic).
fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or_default()
}

/// The state as stored: JSON with its personal data sealed.
fn state_json(saga: &Saga, vault: &Keyring) -> Result<Value, StoreError> {
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

/// Inserts a new saga at version 1; false if another writer created it first.
pub(super) async fn insert_saga(
    tx: &mut Tx<'_>,
    saga: &Saga,
    vault: &Keyring,
    deadline: &DeadlineColumns,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO sagas (id, user_id, status, terminal, state, version, step_deadline_at, step_deadline_key) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(saga.id)
    .bind(saga.trip.user_id.as_str())
    .bind(saga.phase.status())
    .bind(saga.phase.is_terminal())
    .bind(state_json(saga, vault)?)
    .bind(deadline.at)
    .bind(&deadline.key)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Writes the new state if the version is still `expected`; false otherwise.
pub(super) async fn update_saga(
    tx: &mut Tx<'_>,
    saga: &Saga,
    expected: i64,
    vault: &Keyring,
    deadline: &DeadlineColumns,
) -> Result<bool, StoreError> {
    let updated = sqlx::query(
        "UPDATE sagas SET status = $2, terminal = $3, state = $4, version = version + 1, updated_at = now(), \
         status_since = CASE WHEN status = $2 THEN status_since ELSE now() END, \
         completed_at = CASE WHEN $3 THEN now() ELSE NULL END, \
         step_deadline_at = CASE WHEN $6 THEN step_deadline_at ELSE $7 END, \
         step_deadline_key = CASE WHEN $6 THEN step_deadline_key ELSE $8 END \
         WHERE id = $1 AND version = $5",
    )
    .bind(saga.id)
    .bind(saga.phase.status())
    .bind(saga.phase.is_terminal())
    .bind(state_json(saga, vault)?)
    .bind(expected)
    .bind(deadline.keep)
    .bind(deadline.at)
    .bind(&deadline.key)
    .execute(&mut **tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// One audit row per transition. Effects are summarized by type and key:
/// no personal data enters the audit trail.
pub(super) async fn append_audit(
    tx: &mut Tx<'_>,
    envelope: &Envelope,
    decision: &Decision,
    from: Option<&str>,
    version: i64,
) -> Result<(), StoreError> {
    let effects: Vec<Value> = decision.effects.iter().map(effect_summary).collect();
    sqlx::query(
        "INSERT INTO saga_audit (saga_id, version, message_id, message_type, from_status, to_status, effects) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(envelope.saga_id)
    .bind(version)
    .bind(envelope.message_id)
    .bind(envelope.message_type().as_str())
    .bind(from)
    .bind(decision.saga.phase.status())
    .bind(Value::Array(effects))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn effect_summary(effect: &Effect) -> Value {
    match effect {
        Effect::Send(message) => json!({
            "send": message.message_type().as_str(),
            "idempotency_key": message.idempotency_key().map(|k| k.as_str()),
        }),
        Effect::Schedule { timer, after } => json!({
            "schedule": TimerFired { timer: timer.clone() },
            "after_ms": u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
        }),
    }
}

/// Commands go to the outbox (and wake the relay); timers to saga_timers.
/// Both carry the trace context of the current (handling) span.
pub(super) async fn write_effects(
    tx: &mut Tx<'_>,
    cause: &Envelope,
    effects: &[Effect],
    now: DateTime<Utc>,
    vault: &Keyring,
) -> Result<(), StoreError> {
    let mut sent = false;
    let trace = propagation::current_or(cause.trace.child());
    for effect in effects {
        match effect {
            Effect::Send(message) => {
                let mut command = Envelope::caused_by(cause, message.clone());
                command.trace = trace.clone();
                insert_outbox(tx, &command, vault).await?;
                super::causes::record_sent(tx, &command).await?;
                sent = true;
            }
            Effect::Schedule { timer, after } => {
                let due_at = now + chrono::Duration::from_std(*after).unwrap_or_default();
                let timer = serde_json::to_value(timer).map_err(|e| StoreError::CorruptState {
                    saga_id: cause.saga_id,
                    detail: e.to_string(),
                })?;
                sqlx::query(
                    "INSERT INTO saga_timers (saga_id, timer, due_at, traceparent, tracestate) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(cause.saga_id)
                .bind(timer)
                .bind(due_at)
                .bind(&trace.traceparent)
                .bind(&trace.tracestate)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    if sent {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(OUTBOX_CHANNEL)
            .execute(&mut **tx)
            .await?;
    }
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
