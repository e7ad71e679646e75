//! Carries out the erasures travellers asked for (`erasures` rows in
//! status `pending`, written by the gateway).
//!
//! One pass over an erasure, under its row lock (several orchestrators
//! share the work with `SKIP LOCKED`):
//!
//! 1. every running saga of the user (and every trip the gateway accepted
//!    that has not started yet) is asked to stop with a
//!    `trip.cancel_requested` (once per saga: the message id is derived from
//!    the erasure and the saga), through the outbox. The saga unwinds as for
//!    any cancellation: a search or watch stops, a hold is voided, an order
//!    in flight is cancelled when it answers. A booked trip is finished and
//!    is not cancelled: the flight stays booked with the airline;
//! 2. while any saga of the user still runs, is stuck (waiting for an
//!    operator to settle what it may hold), or still has messages waiting
//!    in the outbox, the erasure waits for the next pass;
//! 3. then every saga of the user is scrubbed ([`super::scrub`]), the
//!    user's flag overrides are removed and their flag audit re-labelled
//!    with the user's pseudonym ([`super::pseudonym`]), and the erasure is
//!    completed: its row keeps only the keyed hash of the user id and what
//!    was done.
//!
//! Each pass first re-keys erasures completed before pseudonyms were
//! keyed ([`rekey_legacy`]).

use std::time::Duration;

use sqlx::{PgPool, Postgres, Row, Transaction};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_vault::Keyring;

use autobook_contracts::Envelope;
use autobook_contracts::events::TripCancelRequested;

use super::pseudonym::{KEYED_SUBJECT_PREFIX, PseudonymKey, legacy_pseudonym, pseudonym_of};
use super::scrub::{Scope, scrub_saga};
use crate::store::{OUTBOX_CHANNEL, SAGA_FINISHED_CHANNEL};

/// NOTIFY channel the gateway announces a new erasure on.
pub const ERASURE_REQUESTED_CHANNEL: &str = "autobook_erasure_requested";

/// NOTIFY channel announcing a completed erasure; the payload is its id.
pub const ERASURE_COMPLETED_CHANNEL: &str = "autobook_erasure_completed";

/// Who a cancellation sent on behalf of an erasure names.
pub const REQUESTED_BY: &str = "erasure";

/// How long a trip the gateway accepted may take to start before an
/// erasure stops waiting for it.
pub const LOST_SUBMISSION: Duration = Duration::from_secs(15 * 60);

/// Erasure loop settings.
#[derive(Debug, Clone)]
pub struct ErasureConfig {
    /// Longest wait between passes (a notification wakes the loop sooner).
    pub interval: Duration,
    /// What pseudonyms are keyed with. The `orchestrator` role reads it
    /// from `AUTOBOOK_PSEUDONYM_KEY`; the default, a fresh random key, is
    /// for in-process stacks (tests, the demo).
    pub key: PseudonymKey,
}

impl Default for ErasureConfig {
    fn default() -> Self {
        ErasureConfig {
            interval: Duration::from_secs(1),
            key: PseudonymKey::generate(),
        }
    }
}

/// Where one erasure stands after a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Sagas are still stopping (this many).
    Stopping { running: usize },
    /// Done: this many sagas were scrubbed.
    Completed { sagas: usize },
}

/// Runs passes over the pending erasures until `shutdown`, woken by new
/// erasures and finished sagas.
pub async fn run_erasures(
    pool: PgPool,
    vault: Keyring,
    config: ErasureConfig,
    shutdown: CancellationToken,
) {
    let mut listener = listen(&pool).await;
    while !shutdown.is_cancelled() {
        if let Err(error) = pass(&pool, &vault, &config.key).await {
            tracing::warn!(%error, "erasure pass failed; trying again");
        }
        let woken = async {
            match listener.as_mut() {
                Some(listener) => listener.recv().await.map(|_| ()),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(config.interval) => {}
            woke = woken => if woke.is_err() { listener = listen(&pool).await; },
        }
    }
}

async fn listen(pool: &PgPool) -> Option<sqlx::postgres::PgListener> {
    let mut listener = sqlx::postgres::PgListener::connect_with(pool).await.ok()?;
    listener
        .listen_all([ERASURE_REQUESTED_CHANNEL, SAGA_FINISHED_CHANNEL])
        .await
        .ok()?;
    Some(listener)
}

/// One pass over every pending erasure; returns each one's progress.
/// `vault` seals the cancellations it queues; `key` keys the pseudonyms.
/// Erasures done before pseudonyms were keyed are re-keyed first.
pub async fn pass(
    pool: &PgPool,
    vault: &Keyring,
    key: &PseudonymKey,
) -> Result<Vec<(Uuid, Progress)>, sqlx::Error> {
    let rekeyed = rekey_legacy(pool, key).await?;
    if rekeyed > 0 {
        tracing::info!(
            erasures = rekeyed,
            "pseudonyms of earlier erasures re-keyed"
        );
    }
    let mut done = Vec::new();
    loop {
        let mut tx = pool.begin().await?;
        let Some(row) = sqlx::query(
            "SELECT id, user_id FROM erasures WHERE status = 'pending' \
             AND NOT (id = ANY($1)) ORDER BY requested_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(done.iter().map(|(id, _)| *id).collect::<Vec<Uuid>>())
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(done);
        };
        let id: Uuid = row.get("id");
        let user: Option<String> = row.get("user_id");
        let user = user.as_deref().unwrap_or_default();
        let progress = advance(&mut tx, vault, id, user, key).await?;
        tx.commit().await?;
        if let Progress::Completed { sagas } = progress {
            tracing::info!(erasure = %id, sagas, "erasure completed");
        }
        done.push((id, progress));
    }
}

async fn advance(
    tx: &mut Transaction<'_, Postgres>,
    vault: &Keyring,
    erasure: Uuid,
    user: &str,
    key: &PseudonymKey,
) -> Result<Progress, sqlx::Error> {
    // Running: sagas not finished, and trips the gateway accepted whose
    // saga has not started yet (their cancel waits for them to arrive); a
    // submission that never started within `LOST_SUBMISSION` was lost.
    let running: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM sagas WHERE user_id = $1 AND NOT terminal \
         UNION SELECT trip_id FROM trip_submissions t WHERE user_id = $1 \
         AND submitted_at > now() - make_interval(secs => $2) \
         AND NOT EXISTS (SELECT 1 FROM sagas s WHERE s.id = t.trip_id)",
    )
    .bind(user)
    .bind(LOST_SUBMISSION.as_secs_f64())
    .fetch_all(&mut **tx)
    .await?;
    if !running.is_empty() {
        request_stops(tx, vault, erasure, &running).await?;
        sqlx::query("UPDATE erasures SET sagas_stopped = $2 WHERE id = $1")
            .bind(erasure)
            .bind(i32::try_from(running.len()).unwrap_or(i32::MAX))
            .execute(&mut **tx)
            .await?;
        return Ok(Progress::Stopping {
            running: running.len(),
        });
    }
    // A stuck saga may hold something only an operator can settle (`ops
    // saga retry|abort`); its data stays until they have.
    let stuck: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sagas WHERE user_id = $1 AND status = 'stuck'")
            .bind(user)
            .fetch_one(&mut **tx)
            .await?;
    if stuck > 0 {
        return Ok(Progress::Stopping {
            running: usize::try_from(stuck).unwrap_or(usize::MAX),
        });
    }
    let unsent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox o JOIN sagas s ON s.id = o.saga_id \
         WHERE s.user_id = $1 AND o.published_at IS NULL",
    )
    .bind(user)
    .fetch_one(&mut **tx)
    .await?;
    if unsent > 0 {
        return Ok(Progress::Stopping { running: 0 });
    }
    let sagas: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM sagas WHERE user_id = $1")
        .bind(user)
        .fetch_all(&mut **tx)
        .await?;
    let subject = key.subject(user);
    let pseudonym = pseudonym_of(&subject);
    for saga in &sagas {
        scrub_saga(
            tx,
            *saga,
            Scope::Erasure {
                pseudonym: &pseudonym,
            },
        )
        .await?;
    }
    forget_user_everywhere_else(tx, user, &pseudonym).await?;
    sqlx::query(
        "UPDATE erasures SET status = 'completed', completed_at = now(), user_id = NULL, \
         subject = $3, sagas_erased = $2 WHERE id = $1",
    )
    .bind(erasure)
    .bind(i32::try_from(sagas.len()).unwrap_or(i32::MAX))
    .bind(&subject)
    .execute(&mut **tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(ERASURE_COMPLETED_CHANNEL)
        .bind(erasure.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(Progress::Completed { sagas: sagas.len() })
}

/// Asks each running saga to stop, once per erasure and saga.
async fn request_stops(
    tx: &mut Transaction<'_, Postgres>,
    vault: &Keyring,
    erasure: Uuid,
    sagas: &[Uuid],
) -> Result<(), sqlx::Error> {
    let mut sent = false;
    for saga in sagas {
        let message_id = Envelope::derived_message_id(erasure, saga.as_bytes());
        let queued: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM outbox WHERE message_id = $1)")
                .bind(message_id)
                .fetch_one(&mut **tx)
                .await?;
        if queued {
            continue;
        }
        let mut envelope = Envelope::new(
            *saga,
            TripCancelRequested {
                requested_by: REQUESTED_BY.into(),
            },
        );
        envelope.message_id = message_id;
        crate::store::enqueue(tx, &envelope, vault).await?;
        sent = true;
    }
    if sent {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(OUTBOX_CHANNEL)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The rest of what names the user: trips accepted but never started,
/// per-user flag overrides, the flag audit.
async fn forget_user_everywhere_else(
    tx: &mut Transaction<'_, Postgres>,
    user: &str,
    pseudonym: &str,
) -> Result<(), sqlx::Error> {
    crate::submissions::forget_user(tx, user).await?;
    sqlx::query("DELETE FROM offers WHERE user_id = $1")
        .bind(user)
        .execute(&mut **tx)
        .await?;
    autobook_flags::postgres::erasure::forget_user(tx, user, pseudonym).await
}

/// Re-keys the erasures completed before pseudonyms were keyed: their
/// rows kept the plain SHA-256 of the user id, and their records carry the
/// pseudonym made from it, which anyone knowing the user id can compute.
/// Each is given the keyed subject and pseudonym a new erasure of the same
/// user would give, in one transaction (every table the pseudonym was
/// written to, then the row, so it is not visited again). Returns how many
/// were re-keyed.
pub async fn rekey_legacy(pool: &PgPool, key: &PseudonymKey) -> Result<usize, sqlx::Error> {
    let mut rekeyed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let Some((id, plain)) = sqlx::query_as::<_, (Uuid, String)>(
            "SELECT id, subject FROM erasures WHERE status = 'completed' \
             AND subject NOT LIKE $1 || '%' LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(KEYED_SUBJECT_PREFIX)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(rekeyed);
        };
        let subject = key.rekey(&plain);
        let (old, new) = (legacy_pseudonym(&plain), pseudonym_of(&subject));
        sqlx::query(
            "UPDATE sagas SET user_id = $2, version = version + 1, \
             state = CASE WHEN state #>> '{trip,user_id}' = $1 \
             THEN jsonb_set(state, '{trip,user_id}', to_jsonb($2::text)) ELSE state END \
             WHERE user_id = $1",
        )
        .bind(&old)
        .bind(&new)
        .execute(&mut *tx)
        .await?;
        for update in [
            "UPDATE bookings SET user_id = $2 WHERE user_id = $1",
            "UPDATE passengers SET user_id = $2 WHERE user_id = $1",
        ] {
            sqlx::query(update)
                .bind(&old)
                .bind(&new)
                .execute(&mut *tx)
                .await?;
        }
        autobook_flags::postgres::erasure::rename_in_audit(&mut tx, &old, &new).await?;
        sqlx::query("UPDATE erasures SET subject = $2 WHERE id = $1")
            .bind(id)
            .bind(&subject)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rekeyed += 1;
    }
}
