//! The provider-call ledger: a worker claims a command's idempotency key
//! in PostgreSQL before calling a provider, and stores the reply it
//! publishes. A duplicate of the command (redelivery, republished outbox
//! row) then replays the stored reply instead of calling again.
//!
//! A claim still `in_flight` is taken over when the message comes back
//! redelivered (its consumer died) or from a retry queue (its handler gave
//! up on it, for example when the reply could not be stored), or when the
//! claim's lease ran out; a claim
//! `released` (its call could not be settled) by any later delivery; the new
//! owner raises the fence and must look the result up at the provider
//! first, because the previous attempt may have taken effect. A reply that
//! said "outcome unknown" may be re-examined by a *new* command for the
//! same key (the orchestrator's re-check).
//!
//! Replies are stored sealed (an order's reply is the airline's answer,
//! which may name the travellers): [`complete`] seals, and the handler
//! opens a [`Claim::Replay`] before decoding it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_contracts::{Envelope, IdempotencyKey};
use autobook_vault::Keyring;

/// How long an `in_flight` claim is trusted without redelivery.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// The result of claiming a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This worker owns the call. `look_up_first`: an earlier attempt may
    /// have taken effect; find its result before acting again.
    /// `effect_ref`: the provider object an earlier attempt recorded;
    /// `since`: when the call was first claimed.
    Owned {
        fence: i32,
        look_up_first: bool,
        effect_ref: Option<String>,
        since: DateTime<Utc>,
    },
    /// The call was made; publish this stored reply again (as stored:
    /// sealed, or plain if written before encryption).
    Replay(Vec<u8>),
    /// Another live worker is making this call right now.
    Busy,
}

impl Claim {
    /// For spans and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Claim::Owned {
                look_up_first: false,
                ..
            } => "owned",
            Claim::Owned {
                look_up_first: true,
                ..
            } => "taken_over",
            Claim::Replay(_) => "replay",
            Claim::Busy => "busy",
        }
    }
}

/// Claims `key` for `command`.
pub async fn claim(
    pool: &PgPool,
    key: &IdempotencyKey,
    command: &Envelope,
    step: &str,
    handled_before: bool,
) -> Result<Claim, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let inserted: Option<DateTime<Utc>> = sqlx::query_scalar(
        "INSERT INTO provider_calls (idempotency_key, saga_id, step, command_message_id, status) \
         VALUES ($1, $2, $3, $4, 'in_flight') ON CONFLICT (idempotency_key) DO NOTHING \
         RETURNING first_claimed_at",
    )
    .bind(key.as_str())
    .bind(command.saga_id)
    .bind(step)
    .bind(command.message_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(since) = inserted {
        tx.commit().await?;
        return Ok(Claim::Owned {
            fence: 1,
            look_up_first: false,
            effect_ref: None,
            since,
        });
    }
    let row = sqlx::query(
        "SELECT status, fence, outcome_unknown, reply, command_message_id, effect_ref, first_claimed_at, \
         claimed_at < now() - make_interval(secs => $2) AS expired \
         FROM provider_calls WHERE idempotency_key = $1 FOR UPDATE",
    )
    .bind(key.as_str())
    .bind(CLAIM_LEASE.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    let status: String = row.get("status");
    let fence: i32 = row.get("fence");
    let same_command = row.get::<Uuid, _>("command_message_id") == command.message_id;
    let decision = match status.as_str() {
        "completed" if row.get::<bool, _>("outcome_unknown") && !same_command => Decision::TakeOver,
        "completed" => Decision::Replay(row.get::<Option<Vec<u8>>, _>("reply").unwrap_or_default()),
        "released" => Decision::TakeOver,
        _ if handled_before || row.get::<bool, _>("expired") => Decision::TakeOver,
        _ => Decision::Busy,
    };
    let claim = match decision {
        Decision::TakeOver => {
            sqlx::query(
                "UPDATE provider_calls SET status = 'in_flight', fence = fence + 1, command_message_id = $2, \
                 outcome_unknown = false, reply = NULL, claimed_at = now(), completed_at = NULL \
                 WHERE idempotency_key = $1",
            )
            .bind(key.as_str())
            .bind(command.message_id)
            .execute(&mut *tx)
            .await?;
            Claim::Owned {
                fence: fence + 1,
                look_up_first: true,
                effect_ref: row.get("effect_ref"),
                since: row.get("first_claimed_at"),
            }
        }
        Decision::Replay(reply) => Claim::Replay(reply),
        Decision::Busy => Claim::Busy,
    };
    tx.commit().await?;
    Ok(claim)
}

/// Gives up a claim whose call could not be settled (the provider was
/// unreachable or unclear), so that the retried command takes it over and
/// looks the result up first. Only the current owner may release.
pub async fn release(pool: &PgPool, key: &IdempotencyKey, fence: i32) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE provider_calls SET status = 'released' \
         WHERE idempotency_key = $1 AND fence = $2 AND status = 'in_flight'",
    )
    .bind(key.as_str())
    .bind(fence)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Records the provider object the owner of the call made (a PaymentIntent
/// id), before the next effect on it. False when the call was taken over
/// meanwhile: nothing is recorded.
pub async fn record_effect(
    pool: &PgPool,
    key: &IdempotencyKey,
    fence: i32,
    reference: &str,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE provider_calls SET effect_ref = $3 \
         WHERE idempotency_key = $1 AND fence = $2 AND status = 'in_flight'",
    )
    .bind(key.as_str())
    .bind(fence)
    .bind(reference)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

enum Decision {
    TakeOver,
    Replay(Vec<u8>),
    Busy,
}

/// Stores the reply of a call this worker still owns, sealed with `vault`.
/// Returns false when the claim was taken over (the fence moved): the
/// caller must not publish.
pub async fn complete(
    pool: &PgPool,
    vault: &Keyring,
    key: &IdempotencyKey,
    fence: i32,
    reply: &Envelope,
    outcome_unknown: bool,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE provider_calls SET status = 'completed', reply = $3, outcome_unknown = $4, completed_at = now() \
         WHERE idempotency_key = $1 AND fence = $2 AND status = 'in_flight'",
    )
    .bind(key.as_str())
    .bind(fence)
    .bind(vault.seal_bytes(&reply.encode()))
    .bind(outcome_unknown)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}
