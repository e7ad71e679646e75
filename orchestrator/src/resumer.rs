//! The resumer: finds paused sagas whose user the flags allow again and
//! sends each a `saga.resume_requested` through the outbox.
//!
//! A paused saga holds nothing in memory: it is a row with status `paused`.
//! The loop scans those rows in id order, a batch at a time, and skips the
//! scan entirely while the kill switch is thrown or the flags cannot be
//! read (nothing could resume). A resume that arrives twice, or after the
//! saga moved on, is ignored by the saga, so several orchestrators may run
//! this loop at once; each remembers what it asked for recently so that a
//! saga is not asked again before it has had time to answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{PgPool, Row};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_contracts::events::ResumeRequested;
use autobook_flags::{DenyReason, FlagDecision, FlagSource};
use autobook_vault::Keyring;

use crate::metric_definitions::SAGAS_RESUMED;
use crate::store::OUTBOX_CHANNEL;

/// Resumer settings.
#[derive(Debug, Clone)]
pub struct ResumerConfig {
    /// Pause between scans.
    pub interval: Duration,
    /// Paused sagas read per query.
    pub batch_size: i64,
    /// A saga asked to resume is not asked again for this long.
    pub ask_again_after: Duration,
}

impl Default for ResumerConfig {
    fn default() -> Self {
        ResumerConfig {
            interval: Duration::from_millis(500),
            batch_size: 500,
            ask_again_after: Duration::from_secs(10),
        }
    }
}

/// Whether any paused saga could resume under `global` (the decision for
/// no particular user): not while the kill switch is thrown or the flags
/// are unreadable; per-user denials need a look at each saga.
pub fn worth_scanning(global: FlagDecision) -> bool {
    !matches!(
        global,
        FlagDecision::Denied(DenyReason::KillSwitch | DenyReason::Unavailable)
    )
}

/// Runs until `shutdown`.
pub async fn run_resumer(
    pool: PgPool,
    vault: Keyring,
    flags: Arc<dyn FlagSource>,
    config: ResumerConfig,
    shutdown: CancellationToken,
) {
    let mut asked: HashMap<Uuid, Instant> = HashMap::new();
    while !shutdown.is_cancelled() {
        if worth_scanning(flags.decide("")) {
            asked.retain(|_, at| at.elapsed() < config.ask_again_after);
            if let Err(error) = scan(&pool, &vault, flags.as_ref(), &config, &mut asked).await {
                tracing::warn!(%error, "resumer scan failed; retrying");
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = tokio::time::sleep(config.interval) => {}
        }
    }
}

/// One pass over every paused saga; returns how many were asked to resume.
pub async fn scan(
    pool: &PgPool,
    vault: &Keyring,
    flags: &dyn FlagSource,
    config: &ResumerConfig,
    asked: &mut HashMap<Uuid, Instant>,
) -> Result<usize, sqlx::Error> {
    let mut after = Uuid::nil();
    let mut resumed = 0;
    loop {
        let rows = sqlx::query(
            "SELECT id, user_id FROM sagas \
             WHERE status = 'paused' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(config.batch_size)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else {
            return Ok(resumed);
        };
        after = last.get("id");
        let allowed: Vec<Uuid> = rows
            .iter()
            .filter_map(|row| {
                let id: Uuid = row.get("id");
                let user: String = row.get("user_id");
                let allowed = flags.decide(&user).money_may_move();
                (allowed && !asked.contains_key(&id)).then_some(id)
            })
            .collect();
        if !allowed.is_empty() {
            request(pool, vault, &allowed).await?;
            let now = Instant::now();
            asked.extend(allowed.iter().map(|id| (*id, now)));
            resumed += allowed.len();
            metrics::counter!(SAGAS_RESUMED).increment(allowed.len() as u64);
        }
        if (rows.len() as i64) < config.batch_size {
            return Ok(resumed);
        }
    }
}

/// Puts one resume request per saga in the outbox and wakes the relay.
async fn request(pool: &PgPool, vault: &Keyring, sagas: &[Uuid]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for saga_id in sagas {
        let envelope = Envelope::new(
            *saga_id,
            ResumeRequested {
                by: "flags_allow".into(),
            },
        );
        crate::store::enqueue(&mut tx, &envelope, vault).await?;
    }
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(OUTBOX_CHANNEL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_scan_while_nothing_could_resume() {
        assert!(!worth_scanning(FlagDecision::Denied(
            DenyReason::KillSwitch
        )));
        assert!(!worth_scanning(FlagDecision::Denied(
            DenyReason::Unavailable
        )));
        assert!(worth_scanning(FlagDecision::Denied(
            DenyReason::PipelineDisabled
        )));
        assert!(worth_scanning(FlagDecision::Allowed));
    }
}
