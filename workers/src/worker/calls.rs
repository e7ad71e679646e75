//! The provider-call ledger: a worker claims a command's idempotency key
//! in PostgreSQL before calling a provider, and stores the reply it
//! publishes. A duplicate of the command (redelivery, republished outbox
//! row) then replays the stored reply instead of calling again.
//!
//! A claim still `in_flight` is taken over only on what the broker itself
//! says or what this ledger records: the message comes back redelivered by
//! the broker (its consumer died holding it), or the claim's lease ran
//! out; a claim `released` by its owner (its call could not be settled, or
//! its handler let go of it to retry) is taken over by any later delivery.
//! The `x-autobook-attempts` header never grants a takeover: anyone who
//! can publish sets it. The new owner raises the fence and must look the
//! result up at the provider first, because the previous attempt may have
//! taken effect. A reply that said "outcome unknown" may be re-examined by
//! a *new* command for the same key (the orchestrator's re-check).
//!
//! The owner of a call that cannot reach the database to store its reply
//! (or to release its claim) keeps trying for [`LEDGER_PATIENCE`] before
//! it gives the command back to be retried: finishing its own call beats
//! leaving the claim to its lease.
//!
//! Replies are stored sealed (an order's reply is the airline's answer,
//! which may name the travellers): [`complete`] seals, and the handler
//! opens a [`Claim::Replay`] before decoding it.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_contracts::{Envelope, IdempotencyKey};
use autobook_vault::{Keyring, Place};

/// How long an `in_flight` claim is trusted without redelivery.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// How long the owner of a call keeps trying to record what became of it
/// (its reply, or its release of the claim) while the database cannot be
/// reached. Past that it gives the command back to be retried, and the
/// claim waits for its lease to run out.
pub const LEDGER_PATIENCE: Duration = Duration::from_secs(30);

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

/// Claims `key` for `command`. `redelivered`: the broker delivered this
/// message before (the delivery's own flag, not a header).
pub async fn claim(
    pool: &PgPool,
    key: &IdempotencyKey,
    command: &Envelope,
    step: &str,
    redelivered: bool,
) -> Result<Claim, sqlx::Error> {
    // The first claim of a key is one statement, committed on its own; a
    // key claimed before is judged under the row's lock.
    let inserted: Option<DateTime<Utc>> = sqlx::query_scalar(
        "INSERT INTO provider_calls (idempotency_key, saga_id, step, command_message_id, status) \
         VALUES ($1, $2, $3, $4, 'in_flight') ON CONFLICT (idempotency_key) DO NOTHING \
         RETURNING first_claimed_at",
    )
    .bind(key.as_str())
    .bind(command.saga_id)
    .bind(step)
    .bind(command.message_id)
    .fetch_optional(pool)
    .await?;
    if let Some(since) = inserted {
        return Ok(Claim::Owned {
            fence: 1,
            look_up_first: false,
            effect_ref: None,
            since,
        });
    }
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT status, fence, outcome_unknown, reply, command_message_id, effect_ref, first_claimed_at, \
         claimed_at < now() - make_interval(secs => $2) AS expired \
         FROM provider_calls WHERE idempotency_key = $1 FOR UPDATE",
    )
    .bind(key.as_str())
    .bind(CLAIM_LEASE.as_secs_f64())
    .fetch_one(&mut *tx)
    .await?;
    let fence: i32 = row.get("fence");
    let held = Held {
        status: row.get("status"),
        outcome_unknown: row.get("outcome_unknown"),
        same_command: row.get::<Uuid, _>("command_message_id") == command.message_id,
        lease_expired: row.get("expired"),
    };
    let claim = match judge(&held, redelivered) {
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
        Decision::Replay => {
            Claim::Replay(row.get::<Option<Vec<u8>>, _>("reply").unwrap_or_default())
        }
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

/// What the ledger holds for a key another delivery claimed before.
#[derive(Debug)]
struct Held {
    status: String,
    outcome_unknown: bool,
    /// The claim is this very command's (the same message id).
    same_command: bool,
    lease_expired: bool,
}

/// What a delivery does with a key claimed before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    TakeOver,
    Replay,
    Busy,
}

/// Whether a delivery may take the call over, replays its reply, or leaves
/// it to its live owner: decided on the ledger's record and the broker's
/// redelivery flag only.
fn judge(held: &Held, redelivered: bool) -> Decision {
    match held.status.as_str() {
        "completed" if held.outcome_unknown && !held.same_command => Decision::TakeOver,
        "completed" => Decision::Replay,
        "released" => Decision::TakeOver,
        _ if redelivered || held.lease_expired => Decision::TakeOver,
        _ => Decision::Busy,
    }
}

/// Stores the reply of a call this worker still owns, sealed with `vault`
/// for the call's row.
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
    .bind(vault.seal_bytes(
        &reply.encode(),
        &Place::provider_call(key.as_str()),
        "reply",
    ))
    .bind(outcome_unknown)
    .execute(pool)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Runs `write`, a write of the claim's owner, again while the database
/// cannot be reached, for up to [`LEDGER_PATIENCE`]: the owner finishing
/// its own call beats waiting for its lease to run out. Any other error is
/// returned at once.
pub async fn patiently<T, F, Fut>(write: F) -> Result<T, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2))
        .without_max_times()
        .with_total_delay(Some(LEDGER_PATIENCE));
    write.retry(backoff).when(unreachable).await
}

/// The database could not be reached (or is shutting down or starting):
/// the same write may succeed later.
fn unreachable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::WorkerCrashed => true,
        // Connection exceptions (08xxx), and the server shutting down or
        // not yet accepting connections (57P01..57P03).
        sqlx::Error::Database(error) => error
            .code()
            .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(status: &str, outcome_unknown: bool, same_command: bool, expired: bool) -> Held {
        Held {
            status: status.to_owned(),
            outcome_unknown,
            same_command,
            lease_expired: expired,
        }
    }

    #[test]
    fn a_live_claim_is_taken_over_only_when_redelivered_or_its_lease_ran_out() {
        let live = held("in_flight", false, true, false);
        assert_eq!(judge(&live, false), Decision::Busy);
        assert_eq!(judge(&live, true), Decision::TakeOver);
        let lapsed = held("in_flight", false, false, true);
        assert_eq!(judge(&lapsed, false), Decision::TakeOver);
    }

    #[test]
    fn a_released_claim_is_taken_over_and_a_completed_one_replayed() {
        for redelivered in [false, true] {
            let released = held("released", false, true, false);
            assert_eq!(judge(&released, redelivered), Decision::TakeOver);
            let done = held("completed", false, false, true);
            assert_eq!(judge(&done, redelivered), Decision::Replay);
            // An unknown outcome is looked at again by a new command only.
            let unknown = held("completed", true, true, false);
            assert_eq!(judge(&unknown, redelivered), Decision::Replay);
            let recheck = held("completed", true, false, false);
            assert_eq!(judge(&recheck, redelivered), Decision::TakeOver);
        }
    }

    #[tokio::test]
    async fn an_unreachable_database_is_waited_for_and_any_other_error_returned_at_once() {
        let mut calls = 0;
        let written = patiently(|| {
            calls += 1;
            let attempt = calls;
            async move {
                match attempt {
                    1 => Err(sqlx::Error::PoolTimedOut),
                    2 => Err(sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into())),
                    _ => Ok(attempt),
                }
            }
        })
        .await;
        assert_eq!(written.ok(), Some(3));

        let mut calls = 0;
        let refused: Result<(), _> = patiently(|| {
            calls += 1;
            async { Err(sqlx::Error::RowNotFound) }
        })
        .await;
        assert!(matches!(refused, Err(sqlx::Error::RowNotFound)));
        assert_eq!(calls, 1);
    }
}
