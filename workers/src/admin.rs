//! What operators' tools and the harness read of the provider-call
//! ledger (`provider_calls`, written by [`crate::worker::calls`]), behind
//! typed functions: no other crate writes SQL against it. Key rotation
//! re-seals its replies here ([`reseal_replies`]).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_vault::place::tables;
use autobook_vault::rotation::{Census, Pass};
use autobook_vault::{Keyring, Place, blob_kid, blob_prefix, is_unplaced_blob};

/// A worker's provider call for a saga.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderCall {
    pub idempotency_key: String,
    pub step: String,
    pub status: String,
    pub fence: i32,
    pub outcome_unknown: bool,
    pub claimed_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The provider calls of `saga_id`, in the order they were claimed.
pub async fn calls_of_saga(pool: &PgPool, saga_id: Uuid) -> Result<Vec<ProviderCall>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT idempotency_key, step, status, fence, outcome_unknown, claimed_at, completed_at \
         FROM provider_calls WHERE saga_id = $1 ORDER BY claimed_at, idempotency_key",
    )
    .bind(saga_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| ProviderCall {
            idempotency_key: r.get("idempotency_key"),
            step: r.get("step"),
            status: r.get("status"),
            fence: r.get("fence"),
            outcome_unknown: r.get("outcome_unknown"),
            claimed_at: r.get("claimed_at"),
            completed_at: r.get("completed_at"),
        })
        .collect())
}

/// Bytes of a reply's head read for a census: the magic and the longest
/// key id.
const HEAD_BYTES: i32 = 48;

/// Key ids of the sealed replies of `provider_calls` (from their heads
/// only, no key needed), read in batches of `batch` rows.
pub async fn census_replies(pool: &PgPool, batch: i64) -> Result<Census, sqlx::Error> {
    let mut census = Census::default();
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT idempotency_key AS key, substring(reply from 1 for $3) AS head FROM provider_calls \
             WHERE idempotency_key > $1 AND reply IS NOT NULL ORDER BY idempotency_key LIMIT $2",
        )
        .bind(&after)
        .bind(batch)
        .bind(HEAD_BYTES)
        .fetch_all(pool)
        .await?;
        for row in &rows {
            let head: Vec<u8> = row.get("head");
            let kid = blob_kid(&head).map(str::to_owned);
            let plaintext = kid.is_none();
            census.count(kid, plaintext, is_unplaced_blob(&head));
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == batch => after = last.get("key"),
            _ => return Ok(census),
        }
    }
}

/// One pass re-sealing, for its place, every reply not sealed under the
/// active key, in batches of `batch` rows; an update applies only if the
/// reply is still the one read.
pub async fn reseal_replies(
    pool: &PgPool,
    vault: &Keyring,
    batch: i64,
) -> Result<Pass, sqlx::Error> {
    let prefix = blob_prefix(vault.active_kid());
    let prefix_len = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
    let mut pass = Pass::default();
    let mut after = String::new();
    loop {
        let rows = sqlx::query(
            "SELECT idempotency_key AS key, reply FROM provider_calls \
             WHERE idempotency_key > $1 AND reply IS NOT NULL \
             AND substring(reply from 1 for $3) IS DISTINCT FROM $4 \
             ORDER BY idempotency_key LIMIT $2",
        )
        .bind(&after)
        .bind(batch)
        .bind(prefix_len)
        .bind(&prefix)
        .fetch_all(pool)
        .await?;
        let mut tx = pool.begin().await?;
        for row in &rows {
            pass.visited += 1;
            let old: Vec<u8> = row.get("reply");
            let key: String = row.get("key");
            let place = Place::new(tables::PROVIDER_CALLS, key.as_str());
            let new = match vault.reseal_bytes(&old, &place, "reply") {
                Ok(Some(new)) => new,
                Ok(None) => continue,
                Err(_) => {
                    pass.unreadable += 1;
                    continue;
                }
            };
            let updated = sqlx::query(
                "UPDATE provider_calls SET reply = $1 WHERE idempotency_key = $2 AND reply = $3",
            )
            .bind(new)
            .bind(&key)
            .bind(old)
            .execute(&mut *tx)
            .await?;
            pass.record(updated.rows_affected() == 1);
        }
        tx.commit().await?;
        match rows.last() {
            Some(last) if rows.len() as i64 == batch => after = last.get("key"),
            _ => return Ok(pass),
        }
    }
}

/// A completed provider call: its step (from its idempotency key), when it
/// was claimed and when its reply was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedCall {
    pub step: String,
    pub claimed_at: DateTime<Utc>,
    pub completed_at: DateTime<Utc>,
}

/// The completed provider calls of the sagas `saga_ids`.
pub async fn completed_calls(
    pool: &PgPool,
    saga_ids: &[Uuid],
) -> Result<Vec<CompletedCall>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT split_part(idempotency_key, ':', 2) AS step, claimed_at, completed_at \
         FROM provider_calls WHERE completed_at IS NOT NULL AND saga_id = ANY($1)",
    )
    .bind(saga_ids)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|row| CompletedCall {
            step: row.get("step"),
            claimed_at: row.get("claimed_at"),
            completed_at: row.get("completed_at"),
        })
        .collect())
}

/// How many provider calls were claimed, and how many have their reply
/// stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCounts {
    pub calls: i64,
    pub replies: i64,
}

/// Counts over the whole ledger.
pub async fn call_counts(pool: &PgPool) -> Result<CallCounts, sqlx::Error> {
    let row = sqlx::query(
        "SELECT count(*) AS calls, count(*) FILTER (WHERE reply IS NOT NULL) AS replies \
         FROM provider_calls",
    )
    .fetch_one(pool)
    .await?;
    Ok(CallCounts {
        calls: row.get("calls"),
        replies: row.get("replies"),
    })
}
