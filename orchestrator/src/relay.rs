//! The outbox relay: publishes committed outbox rows with publisher
//! confirms and marks them published.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several relays (one
//! per orchestrator) share the work without publishing the same row
//! concurrently. A crash between confirm and commit publishes a row again;
//! consumers de-duplicate by message id. The relay sleeps until it is woken
//! or the polling interval passes, whichever comes first. The executor of
//! the same process wakes it in-process ([`RelayWake`]) after each commit
//! that wrote commands, so the saga's transactions send no NOTIFY (a
//! notifying commit takes a database-wide lock through its WAL flush and
//! cannot share an fsync with others); writers in other processes
//! (operators' commands, timers, erasures) still wake it with a NOTIFY on
//! [`OUTBOX_CHANNEL`].
//! Each row is published in a `publish` span (publisher `relay`), child of
//! the span that wrote the row, whose context goes into the message's
//! `traceparent` header. Bodies are stored sealed and opened here, just
//! before they are published (the publisher seals their personal fields
//! again, for the broker).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::postgres::PgListener;
use sqlx::{PgPool, Row};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_broker::{OutgoingMessage, PublishError, Publisher};
use autobook_contracts::MessageType;
use autobook_contracts::trace::TraceContext;
use autobook_vault::{Keyring, Place};

use crate::metric_definitions::{
    OUTBOX_PUBLISH_DELAY_SECONDS, OUTBOX_PUBLISHED, OUTBOX_RELAY_ERRORS,
};

/// NOTIFY channel that wakes the outbox relay of every process.
pub const OUTBOX_CHANNEL: &str = "autobook_outbox";

/// Relay settings.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Rows published per transaction.
    pub batch_size: i64,
    /// Longest sleep without a notification.
    pub poll_interval: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            batch_size: 200,
            poll_interval: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("publishing failed: {0}")]
    Publish(#[from] PublishError),
}

/// Wakes the relay of this process: rows were committed to the outbox.
/// Cheap and never blocks; wake-ups while the relay is busy coalesce into
/// one more batch.
#[derive(Debug, Clone, Default)]
pub struct RelayWake(Arc<Notify>);

impl RelayWake {
    pub fn new() -> Self {
        RelayWake::default()
    }

    /// Rows are waiting: run another batch.
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Publishes the outbox until `shutdown`, woken by `wake` (this process's
/// writers) or a NOTIFY (other processes').
pub async fn run_relay(
    pool: PgPool,
    publisher: Publisher,
    vault: Keyring,
    config: RelayConfig,
    wake: RelayWake,
    shutdown: CancellationToken,
) {
    let wake = wake.0;
    let listener = tokio::spawn(listen(pool.clone(), wake.clone(), shutdown.clone()));
    let mut failures: u32 = 0;
    while !shutdown.is_cancelled() {
        let delay = match relay_batch(&pool, &publisher, &vault, config.batch_size).await {
            Ok(count) if count as i64 >= config.batch_size => {
                failures = 0;
                continue;
            }
            Ok(_) => {
                failures = 0;
                config.poll_interval
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                metrics::counter!(OUTBOX_RELAY_ERRORS).increment(1);
                tracing::warn!(%error, failures, "outbox relay failed; backing off");
                backoff(failures)
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = wake.notified() => {}
            _ = tokio::time::sleep(delay) => {}
        }
    }
    listener.abort();
}

/// Exponential backoff from 100 ms to 5 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << failures.min(6))).min(Duration::from_secs(5))
}

/// Turns notifications into wake-ups. Reconnects on its own; while the
/// database is down the relay falls back to polling.
async fn listen(pool: PgPool, wake: Arc<Notify>, shutdown: CancellationToken) {
    let mut failures = 0;
    while !shutdown.is_cancelled() {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(error) => {
                failures += 1;
                tracing::debug!(%error, "outbox listener cannot connect");
                tokio::time::sleep(backoff(failures)).await;
                continue;
            }
        };
        if listener.listen(OUTBOX_CHANNEL).await.is_err() {
            tokio::time::sleep(backoff(failures)).await;
            continue;
        }
        failures = 0;
        while let Ok(_notification) = listener.recv().await {
            wake.notify_one();
        }
    }
}

/// Publishes up to `limit` pending rows; returns how many were published.
pub async fn relay_batch(
    pool: &PgPool,
    publisher: &Publisher,
    vault: &Keyring,
    limit: i64,
) -> Result<usize, RelayError> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(
        "SELECT id, message_id, saga_id, message_type, body, traceparent, tracestate, occurred_at, \
         EXTRACT(EPOCH FROM clock_timestamp() - created_at)::float8 AS waited FROM outbox \
         WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let read_at = Instant::now();
    if rows.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut waited = Vec::with_capacity(rows.len());
    let mut messages = Vec::with_capacity(rows.len());
    for row in &rows {
        let type_name: String = row.get("message_type");
        let Some(message_type) = MessageType::parse(&type_name) else {
            tracing::error!(message_type = %type_name, "outbox row of an unknown message type left in place");
            continue;
        };
        let message_id = row.get::<Uuid, _>("message_id");
        let place = Place::outbox(message_id);
        let body = match vault.open_bytes(row.get::<&[u8], _>("body"), &place, "body") {
            Ok(body) => body.into_owned(),
            Err(error) => {
                tracing::error!(%error, "outbox row that cannot be opened left in place");
                continue;
            }
        };
        ids.push(row.get::<i64, _>("id"));
        waited.push(row.get::<f64, _>("waited"));
        messages.push(OutgoingMessage {
            message_id,
            saga_id: row.get::<Uuid, _>("saga_id"),
            message_type,
            occurred_at: row.get::<DateTime<Utc>, _>("occurred_at"),
            trace: row
                .get::<Option<String>, _>("traceparent")
                .and_then(|tp| TraceContext::parse(&tp, row.get("tracestate"))),
            body,
        });
    }
    autobook_broker::crash::point("relay.before_publish");
    let results = publisher.publish_all(&messages).await;
    autobook_broker::crash::point("relay.after_publish");
    let mut published = Vec::with_capacity(ids.len());
    let mut delays = Vec::with_capacity(ids.len());
    let mut first_error = None;
    for ((id, waited), result) in ids.into_iter().zip(waited).zip(results) {
        match result {
            Ok(()) => {
                published.push(id);
                delays.push(waited);
            }
            Err(error) => first_error = first_error.or(Some(error)),
        }
    }
    sqlx::query("UPDATE outbox SET published_at = now() WHERE id = ANY($1)")
        .bind(&published[..])
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    metrics::counter!(OUTBOX_PUBLISHED).increment(published.len() as u64);
    let since_read = read_at.elapsed().as_secs_f64();
    for waited in delays {
        metrics::histogram!(OUTBOX_PUBLISH_DELAY_SECONDS).record(waited.max(0.0) + since_read);
    }
    match first_error {
        Some(error) => Err(error.into()),
        None => Ok(published.len()),
    }
}
