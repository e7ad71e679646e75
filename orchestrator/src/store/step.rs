//! The executor's two statements per message: one reads, one writes.
//!
//! [`read`] records the message id in the inbox and, in the same
//! statement, reads the saga (with its timings by the database clock) and
//! what the records say of the command a reply names as its cause.
//! [`write`] stores the decision: the saga row (inserted, or updated while
//! its version is still the one read), its audit row, the commands (outbox
//! and `saga_commands`) and the timers, each insert conditioned on the saga
//! row being written, so a lost race writes nothing and says so. Both run
//! in the executor's transaction: a message is three round trips and a
//! commit, whatever it decides.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use autobook_broker::propagation;
use autobook_contracts::events::TimerFired;
use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, MessageKind};
use autobook_vault::{Keyring, Place};

use super::StoreError;
use super::rows::{DeadlineColumns, open_state, state_json};
use crate::saga::{Cause, Decision, Effect, Saga};
use crate::saga_metrics::Timings;

type Tx<'a> = Transaction<'a, Postgres>;

/// A stored saga as the executor reads it.
pub(super) struct Stored {
    /// An unreadable state is an error value so the caller can reject the
    /// message, not crash.
    pub saga: Result<Saga, StoreError>,
    pub version: i64,
    pub timings: Timings,
}

/// What the read of a message recorded now found: the saga (if it
/// exists) and, when asked for and the saga exists, what its records say
/// of the reply's cause.
pub(super) struct Fresh {
    pub stored: Option<Stored>,
    pub cause: Option<Cause>,
}

/// Records `envelope`'s id in the inbox and reads its saga; `with_cause`:
/// also look up the command the message names as its cause. None: the
/// message id was recorded before (a duplicate).
pub(super) async fn read(
    tx: &mut Tx<'_>,
    envelope: &Envelope,
    with_cause: bool,
    vault: &Keyring,
) -> Result<Option<Fresh>, StoreError> {
    let cause_id = envelope.causation_id.filter(|_| with_cause);
    let row = sqlx::query(
        "WITH fresh AS ( \
           INSERT INTO inbox (message_id, saga_id, message_type) VALUES ($1, $2, $3) \
           ON CONFLICT DO NOTHING RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM fresh) AS fresh, s.state, s.version, \
           EXTRACT(EPOCH FROM now() - s.status_since)::float8 AS in_status, \
           EXTRACT(EPOCH FROM now() - s.created_at)::float8 AS since_start, \
           c.message_id IS NOT NULL AS cause_found, c.idempotency_key AS cause_key \
         FROM (VALUES (1)) AS one (x) \
         LEFT JOIN sagas s ON s.id = $2 \
         LEFT JOIN saga_commands c ON c.message_id = $4 AND c.saga_id = $2",
    )
    .bind(envelope.message_id)
    .bind(envelope.saga_id)
    .bind(envelope.message_type().as_str())
    .bind(cause_id)
    .fetch_one(&mut **tx)
    .await?;
    if !row.get::<bool, _>("fresh") {
        return Ok(None);
    }
    let Some(version) = row.get::<Option<i64>, _>("version") else {
        return Ok(Some(Fresh {
            stored: None,
            cause: None,
        }));
    };
    let cause = with_cause.then(|| {
        let record = row
            .get::<bool, _>("cause_found")
            .then(|| row.get("cause_key"));
        super::causes::judged(envelope.causation_id, record)
    });
    let stored = Stored {
        saga: open_state(vault, envelope.saga_id, row.get("state")),
        version,
        timings: Timings {
            in_status: seconds(row.get("in_status")),
            since_start: seconds(row.get("since_start")),
        },
    };
    Ok(Some(Fresh {
        stored: Some(stored),
        cause,
    }))
}

/// A non-negative duration from seconds (clocks never run backwards here,
/// but a negative or odd value must not panic).
fn seconds(value: f64) -> Duration {
    Duration::try_from_secs_f64(value.max(0.0)).unwrap_or_default()
}

/// What one decision writes besides the saga row.
pub(super) struct Written {
    /// The row was written (false: another writer moved the saga first,
    /// and nothing was written).
    pub saga: bool,
    /// Commands went to the outbox (the relay has work).
    pub sent: bool,
}

/// One decision to store.
pub(super) struct Step<'a> {
    /// The message decided on.
    pub cause: &'a Envelope,
    pub decision: &'a Decision,
    /// The version read; None for a new saga.
    pub expected: Option<i64>,
    /// The status moved from; None for a new saga.
    pub from: Option<&'a str>,
    pub deadline: &'a DeadlineColumns,
    pub now: DateTime<Utc>,
}

/// Writes `step`'s decision: the saga row, its audit row, its commands and
/// timers. Everything is written or nothing.
pub(super) async fn write(
    tx: &mut Tx<'_>,
    step: &Step<'_>,
    vault: &Keyring,
) -> Result<Written, StoreError> {
    let Step {
        cause,
        decision,
        expected,
        from,
        deadline,
        now,
    } = *step;
    let saga = &decision.saga;
    let effects = Effects::of(cause, &decision.effects, now, vault)?;
    let audit: Vec<Value> = decision.effects.iter().map(effect_summary).collect();
    let sql: &str = match expected {
        None => &INSERT_STEP,
        Some(_) => &UPDATE_STEP,
    };
    let written: i64 = sqlx::query(sql)
        .bind(saga.id)
        .bind(expected)
        .bind(saga.trip.user_id.as_str())
        .bind(saga.phase.status())
        .bind(saga.phase.is_terminal())
        .bind(state_json(saga, vault)?)
        .bind(deadline.keep)
        .bind(deadline.at)
        .bind(&deadline.key)
        .bind(expected.map_or(1, |v| v + 1))
        .bind(cause.message_id)
        .bind(cause.message_type().as_str())
        .bind(from)
        .bind(Value::Array(audit))
        .bind(&effects.trace.traceparent)
        .bind(&effects.trace.tracestate)
        .bind(&effects.outbox_ids)
        .bind(&effects.outbox_types)
        .bind(&effects.outbox_bodies)
        .bind(&effects.outbox_occurred)
        .bind(&effects.command_ids)
        .bind(&effects.command_keys)
        .bind(&effects.command_types)
        .bind(&effects.timers)
        .bind(&effects.timers_due)
        .fetch_one(&mut **tx)
        .await?
        .get(0);
    Ok(Written {
        saga: written == 1,
        sent: !effects.outbox_ids.is_empty(),
    })
}

/// The head of [`write`] for a new saga. Every head takes the same
/// parameters (sqlx names their types, so a head may leave some unused):
/// `$1` the id, `$2` the version read, `$3` the traveller, `$4` the status,
/// `$5` terminal, `$6` the state, `$7`-`$9` the step deadline (keep, at,
/// key).
static INSERT_STEP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH s AS ( \
           INSERT INTO sagas (id, user_id, status, terminal, state, version, step_deadline_at, step_deadline_key) \
           VALUES ($1, $3, $4, $5, $6, 1, $8, $9) \
           ON CONFLICT (id) DO NOTHING RETURNING id) {TAIL}"
    )
});

/// The head of [`write`] for a stored saga at version `$2`.
static UPDATE_STEP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH s AS ( \
           UPDATE sagas SET status = $4, terminal = $5, state = $6, version = version + 1, updated_at = now(), \
           status_since = CASE WHEN status = $4 THEN status_since ELSE now() END, \
           completed_at = CASE WHEN $5 THEN now() ELSE NULL END, \
           step_deadline_at = CASE WHEN $7 THEN step_deadline_at ELSE $8 END, \
           step_deadline_key = CASE WHEN $7 THEN step_deadline_key ELSE $9 END \
           WHERE id = $1 AND version = $2 RETURNING id) {TAIL}"
    )
});

/// Everything else [`write`] stores, each row only if the saga row was
/// written: `$10` the new version, `$11`-`$14` the audit row, `$15`-`$16`
/// the trace context, `$17`-`$20` the outbox, `$21`-`$23` the commands,
/// `$24`-`$25` the timers.
const TAIL: &str = ", a AS ( \
       INSERT INTO saga_audit (saga_id, version, message_id, message_type, from_status, to_status, effects) \
       SELECT s.id, $10, $11, $12, $13, $4, $14 FROM s), \
     o AS ( \
       INSERT INTO outbox (message_id, saga_id, message_type, body, traceparent, tracestate, occurred_at) \
       SELECT m.id, s.id, m.kind, m.body, $15, $16, m.at FROM s, \
       unnest($17::uuid[], $18::text[], $19::bytea[], $20::timestamptz[]) AS m (id, kind, body, at)), \
     c AS ( \
       INSERT INTO saga_commands (message_id, saga_id, idempotency_key, message_type) \
       SELECT k.id, s.id, k.key, k.kind FROM s, \
       unnest($21::uuid[], $22::text[], $23::text[]) AS k (id, key, kind)), \
     t AS ( \
       INSERT INTO saga_timers (saga_id, timer, due_at, traceparent, tracestate) \
       SELECT s.id, x.timer, x.due, $15, $16 FROM s, \
       unnest($24::jsonb[], $25::timestamptz[]) AS x (timer, due)) \
     SELECT count(*) FROM s";

/// A decision's effects as the columns [`write`] binds.
struct Effects {
    trace: TraceContext,
    outbox_ids: Vec<Uuid>,
    outbox_types: Vec<&'static str>,
    outbox_bodies: Vec<Vec<u8>>,
    outbox_occurred: Vec<DateTime<Utc>>,
    command_ids: Vec<Uuid>,
    command_keys: Vec<Option<String>>,
    command_types: Vec<&'static str>,
    timers: Vec<Value>,
    timers_due: Vec<DateTime<Utc>>,
}

impl Effects {
    /// Commands become outbox rows (bodies sealed) and, when they are
    /// commands rather than events to the saga itself, `saga_commands`
    /// rows; timers become `saga_timers` rows. All carry the trace context
    /// of the current (handling) span.
    fn of(
        cause: &Envelope,
        effects: &[Effect],
        now: DateTime<Utc>,
        vault: &Keyring,
    ) -> Result<Self, StoreError> {
        let mut out = Effects {
            trace: propagation::current_or(cause.trace.child()),
            outbox_ids: Vec::new(),
            outbox_types: Vec::new(),
            outbox_bodies: Vec::new(),
            outbox_occurred: Vec::new(),
            command_ids: Vec::new(),
            command_keys: Vec::new(),
            command_types: Vec::new(),
            timers: Vec::new(),
            timers_due: Vec::new(),
        };
        for effect in effects {
            match effect {
                Effect::Send(message) => {
                    let mut command = Envelope::caused_by(cause, message.clone());
                    command.trace = out.trace.clone();
                    let message_type = command.message_type();
                    out.outbox_ids.push(command.message_id);
                    out.outbox_types.push(message_type.as_str());
                    out.outbox_bodies.push(vault.seal_bytes(
                        &command.encode(),
                        &Place::outbox(command.message_id),
                        "body",
                    ));
                    out.outbox_occurred.push(command.occurred_at);
                    match message_type.kind() {
                        MessageKind::Command => {
                            out.command_ids.push(command.message_id);
                            out.command_keys.push(
                                command
                                    .message
                                    .idempotency_key()
                                    .map(|k| k.as_str().to_owned()),
                            );
                            out.command_types.push(message_type.as_str());
                        }
                        // An event the saga addresses to itself answers no
                        // command and is not one.
                        MessageKind::Event => {}
                    }
                }
                Effect::Schedule { timer, after } => {
                    let timer =
                        serde_json::to_value(timer).map_err(|e| StoreError::CorruptState {
                            saga_id: cause.saga_id,
                            detail: e.to_string(),
                        })?;
                    out.timers.push(timer);
                    out.timers_due
                        .push(now + chrono::Duration::from_std(*after).unwrap_or_default());
                }
            }
        }
        Ok(out)
    }
}

/// One audit row per transition. Effects are summarized by type and key:
/// no personal data enters the audit trail.
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
