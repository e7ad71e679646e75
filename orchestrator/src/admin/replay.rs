//! Replaying archived dead letters: each one is checked against its saga
//! first ([`judge`]), so that only a message that can now succeed goes back.
//!
//! An accepted message is published as it was (same content, same message
//! id, its original properties without the dead-letter headers) to the
//! default exchange with the source queue as routing key, so it goes back
//! exactly where it came from and the inbox or the provider-call ledger
//! still de-duplicates it. Only after the broker confirms is the row marked
//! replayed; a failed publish leaves it untouched. The row is locked
//! (`FOR UPDATE SKIP LOCKED`) meanwhile, so two operators never replay the
//! same dead letter at once. A replayed body goes back with its personal
//! fields sealed for its message, as a publisher sends them (one refused
//! for plaintext ones is sealed on the way).

mod judge;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use autobook_broker::Publisher;
use autobook_broker::properties::for_replay;
use autobook_contracts::Envelope;
use autobook_vault::{Keyring, Place};

use super::dead_letters::{Selection, parse_role, selected_ids};
use crate::store::{StoreError, cause_of, decode_state};

pub use judge::{SagaView, judge, original_properties};

/// Why a replay stopped before reporting on every dead letter.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Only a dry run goes without the broker.
    #[error("replaying needs the broker")]
    NoBroker,
}

/// The outcome of replaying one dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReplayOutcome {
    /// Published back to its queue and marked replayed.
    Replayed { queue: String },
    /// Would be replayed (`--dry-run`).
    WouldReplay { queue: String },
    /// Not replayed: it cannot succeed now.
    Refused { reason: String },
    /// Accepted, but the publish (or marking it) failed.
    Failed { reason: String },
}

/// What became of one dead letter.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub id: Uuid,
    pub message_type: Option<String>,
    pub saga_id: Option<Uuid>,
    #[serde(flatten)]
    pub outcome: ReplayOutcome,
}

impl ReplayReport {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.outcome,
            ReplayOutcome::Replayed { .. } | ReplayOutcome::WouldReplay { .. }
        )
    }
}

/// Replays the selected dead letters that can succeed now, in order, and
/// reports on each. `publisher` may be None only for a dry run.
pub async fn replay(
    pool: &PgPool,
    vault: &Keyring,
    publisher: Option<&Publisher>,
    selection: &Selection,
    dry_run: bool,
    operator: &str,
) -> Result<Vec<ReplayReport>, ReplayError> {
    if !dry_run && publisher.is_none() {
        return Err(ReplayError::NoBroker);
    }
    let mut reports = Vec::new();
    for id in selected_ids(pool, selection).await? {
        reports.push(replay_one(pool, vault, publisher, id, dry_run, operator).await?);
    }
    Ok(reports)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn replay_one(
    pool: &PgPool,
    vault: &Keyring,
    publisher: Option<&Publisher>,
    id: Uuid,
    dry_run: bool,
    operator: &str,
) -> Result<ReplayReport, ReplayError> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT id, role, source_queue, code, message_id, saga_id, message_type, headers, content_type, \
         properties, body, replayed_at, replay_note FROM dead_letters WHERE id = $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM dead_letters WHERE id = $1)")
                .bind(id)
                .fetch_one(pool)
                .await?;
        let reason = if exists {
            "someone else is replaying it right now".to_owned()
        } else {
            format!("there is no dead letter {id}")
        };
        return release(
            tx,
            ReplayReport {
                id,
                message_type: None,
                saga_id: None,
                outcome: ReplayOutcome::Refused { reason },
            },
        )
        .await;
    };
    let message_type: Option<String> = row.get("message_type");
    let saga_id: Option<Uuid> = row.get("saga_id");
    let report = |outcome| ReplayReport {
        id,
        message_type: message_type.clone(),
        saga_id,
        outcome,
    };
    let refused = |reason: String| report(ReplayOutcome::Refused { reason });
    if let Some(at) = row.get::<Option<DateTime<Utc>>, _>("replayed_at") {
        return release(tx, refused(format!("already replayed at {}", time(at)))).await;
    }
    let stored =
        match vault.open_bytes(row.get::<&[u8], _>("body"), &Place::dead_letter(id), "body") {
            Ok(body) => body.into_owned(),
            Err(e) => return release(tx, refused(format!("cannot replay: {e}"))).await,
        };
    // What goes back on the broker has its personal fields sealed (a body
    // refused for plaintext ones is sealed now); what is judged, opened.
    let body = vault.seal_envelope(&stored).into_owned();
    let opened = match vault.open_envelope(&body) {
        Ok(opened) => opened.into_owned(),
        Err(e) => return release(tx, refused(format!("cannot replay: {e}"))).await,
    };
    let role = match parse_role(row.get::<&str, _>("role")) {
        Ok(role) => role,
        Err(e) => return release(tx, refused(format!("cannot replay: {e}"))).await,
    };
    let envelope = match Envelope::decode(&opened) {
        Ok(envelope) => envelope,
        Err(e) => return release(tx, refused(format!("cannot replay: {e}"))).await,
    };
    let view = saga_view(&mut tx, vault, &envelope).await?;
    if let Err(reason) = judge(&envelope, role, &view, Utc::now()) {
        return release(tx, refused(reason)).await;
    }
    let queue: String = row.get("source_queue");
    if dry_run {
        return release(tx, report(ReplayOutcome::WouldReplay { queue })).await;
    }
    let Some(publisher) = publisher else {
        return Err(ReplayError::NoBroker);
    };
    let original = original_properties(
        row.get::<Option<Value>, _>("properties").as_ref(),
        row.get("content_type"),
        row.get("message_id"),
        saga_id,
        message_type.as_deref(),
        &row.get::<Value, _>("headers"),
    );
    let properties = judge::vouched_for(
        for_replay(&original),
        row.get::<&str, _>("code"),
        &body,
        publisher.keys(),
    );
    if let Err(error) = publisher.publish_raw("", &queue, &body, properties).await {
        return release(
            tx,
            report(ReplayOutcome::Failed {
                reason: format!("could not publish (the dead letter is kept as it was): {error}"),
            }),
        )
        .await;
    }
    let note = format!("replayed to {queue} by {operator}");
    let marked =
        sqlx::query("UPDATE dead_letters SET replayed_at = now(), replay_note = $2 WHERE id = $1")
            .bind(id)
            .bind(&note)
            .execute(&mut *tx)
            .await;
    match marked {
        Ok(_) => match tx.commit().await {
            Ok(()) => Ok(report(ReplayOutcome::Replayed { queue })),
            Err(error) => Ok(report(ReplayOutcome::Failed {
                reason: format!("published, but not marked replayed: {error}"),
            })),
        },
        Err(error) => Ok(report(ReplayOutcome::Failed {
            reason: format!("published, but not marked replayed: {error}"),
        })),
    }
}

/// Ends a replay that changed nothing: the dead letter's row lock is
/// released now (a dropped transaction would keep it until its connection
/// is next used, and a replay right after would find the row locked).
async fn release(
    tx: Transaction<'_, Postgres>,
    report: ReplayReport,
) -> Result<ReplayReport, ReplayError> {
    tx.rollback().await?;
    Ok(report)
}

/// What the inbox, the saga and its sent commands say about `envelope`.
async fn saga_view(
    tx: &mut Transaction<'_, Postgres>,
    vault: &Keyring,
    envelope: &Envelope,
) -> Result<SagaView, ReplayError> {
    let in_inbox: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM inbox WHERE message_id = $1)")
            .bind(envelope.message_id)
            .fetch_one(&mut **tx)
            .await?;
    let state: Option<Value> = sqlx::query_scalar("SELECT state FROM sagas WHERE id = $1")
        .bind(envelope.saga_id)
        .fetch_optional(&mut **tx)
        .await?;
    let saga = state.map(|state| {
        decode_state(vault, envelope.saga_id, state).map_err(|e| match e {
            StoreError::Sealed { source, .. } => source.to_string(),
            StoreError::CorruptState { detail, .. } => detail,
            StoreError::Database(_) | StoreError::Contention(_) => e.to_string(),
        })
    });
    let cause = cause_of(&mut **tx, envelope).await?;
    Ok(SagaView {
        in_inbox,
        saga,
        cause,
    })
}
