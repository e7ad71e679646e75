//! Durable timers: due rows of `saga_timers` become `saga.timer_fired`
//! messages in the outbox, in the same transaction that marks them fired,
//! so a timer fires once even with several orchestrators running (rows are
//! claimed with `FOR UPDATE SKIP LOCKED`). "Due" is judged by the
//! orchestrator's [`Clock`], never by a sleep holding state.
//! The same loop sweeps the step deadlines kept on the saga rows (see
//! [`crate::saga::deadlines`]) into `StepDeadline` timer events.
//! A timer stays in its saga's trace: it fires in a `fire timer` span,
//! child of the handling span that scheduled it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_broker::propagation;
use autobook_contracts::events::{SagaTimer, TimerFired};
use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, IdempotencyKey};
use autobook_vault::Keyring;

use crate::clock::Clock;
use crate::metric_definitions::{STEP_DEADLINES_PASSED, TIMERS_FIRED};
use crate::store::OUTBOX_CHANNEL;

/// Timer loop settings.
#[derive(Debug, Clone)]
pub struct TimerConfig {
    pub batch_size: i64,
    /// Longest sleep between checks.
    pub max_sleep: Duration,
    /// Fired timers are deleted once they are this old (they are only a
    /// record: the message they fired is in the outbox and the audit).
    pub keep_fired: Duration,
    /// Fired timers deleted per statement.
    pub purge_batch: i64,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            batch_size: 100,
            max_sleep: Duration::from_secs(1),
            keep_fired: Duration::from_secs(7 * 24 * 3600),
            purge_batch: 1000,
        }
    }
}

/// How many rounds of the loop pass between purges of old fired timers.
const PURGE_EVERY_ROUNDS: u64 = 600;

/// Fires due timers until `shutdown`, by `clock`'s time: sleeps until the
/// next timer is due (at most `max_sleep`) or the clock is advanced.
pub async fn run_timers(
    pool: PgPool,
    vault: Keyring,
    clock: Clock,
    config: TimerConfig,
    shutdown: CancellationToken,
) {
    let mut advances = clock.advances();
    let mut rounds: u64 = 0;
    while !shutdown.is_cancelled() {
        advances.mark_seen();
        if rounds.is_multiple_of(PURGE_EVERY_ROUNDS) {
            let before =
                clock.now() - chrono::Duration::from_std(config.keep_fired).unwrap_or_default();
            if let Err(error) = purge_fired(&pool, before, config.purge_batch).await {
                tracing::warn!(%error, "purging fired timers failed; trying again later");
            }
        }
        rounds = rounds.wrapping_add(1);
        if let Err(error) = fire_overdue_steps(&pool, &vault, clock.now(), config.batch_size).await
        {
            tracing::warn!(%error, "step deadline sweep failed; retrying");
        }
        let sleep = match fire_due(&pool, &vault, clock.now(), config.batch_size).await {
            Ok(fired) if fired as i64 >= config.batch_size => Duration::ZERO,
            Ok(_) => next_due_in(&pool, &clock)
                .await
                .unwrap_or(config.max_sleep)
                .min(config.max_sleep),
            Err(error) => {
                tracing::warn!(%error, "timer loop failed; retrying");
                config.max_sleep
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => {}
            _ = advances.next() => {}
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

/// Moves the timers due at `now` to the outbox (sealed with `vault`);
/// returns how many fired.
pub async fn fire_due(
    pool: &PgPool,
    vault: &Keyring,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(
        "SELECT id, saga_id, timer, traceparent, tracestate FROM saga_timers \
         WHERE fired_at IS NULL AND due_at <= $2 \
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(limit)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let mut fired = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.get("id");
        let saga_id: Uuid = row.get("saga_id");
        match serde_json::from_value::<SagaTimer>(row.get("timer")) {
            Ok(timer) => {
                let scheduled_in = row
                    .get::<Option<String>, _>("traceparent")
                    .and_then(|tp| TraceContext::parse(&tp, row.get("tracestate")));
                let mut envelope = Envelope::new(saga_id, TimerFired { timer });
                let span = firing_span(&envelope, scheduled_in.as_ref());
                envelope.trace = propagation::of_span(&span)
                    .or_else(|| scheduled_in.map(|trace| trace.child()))
                    .unwrap_or(envelope.trace);
                crate::store::enqueue(&mut tx, &envelope, vault).await?;
            }
            Err(error) => tracing::error!(%saga_id, %error, "unreadable timer discarded"),
        }
        fired.push(id);
    }
    if !fired.is_empty() {
        sqlx::query("UPDATE saga_timers SET fired_at = $2 WHERE id = ANY($1)")
            .bind(&fired[..])
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(OUTBOX_CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    metrics::counter!(TIMERS_FIRED).increment(fired.len() as u64);
    Ok(fired.len())
}

/// Turns the step deadlines passed at `now` into `StepDeadline` timer
/// events in the outbox, clearing each deadline in the same transaction
/// (so it fires once, whichever orchestrator sweeps; rows are claimed
/// with `FOR UPDATE SKIP LOCKED`). Returns how many fired.
pub async fn fire_overdue_steps(
    pool: &PgPool,
    vault: &Keyring,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let rows = sqlx::query(
        "WITH due AS ( \
           SELECT id, step_deadline_key FROM sagas \
           WHERE step_deadline_at <= $1 \
           ORDER BY step_deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
         UPDATE sagas s SET step_deadline_at = NULL, step_deadline_key = NULL \
         FROM due WHERE s.id = due.id \
         RETURNING s.id, due.step_deadline_key",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut fired = 0;
    for row in &rows {
        let saga_id: Uuid = row.get("id");
        let key: Option<String> = row.get("step_deadline_key");
        let Some(key) = key.as_deref().and_then(IdempotencyKey::parse) else {
            tracing::error!(%saga_id, "a step deadline without a readable key; cleared");
            continue;
        };
        let step = key.step().map_or("unknown", |step| step.as_str());
        tracing::warn!(%saga_id, step, "no reply by the step's deadline; sending the step again");
        metrics::counter!(STEP_DEADLINES_PASSED, "step" => step).increment(1);
        let envelope = Envelope::new(
            saga_id,
            TimerFired {
                timer: SagaTimer::StepDeadline {
                    idempotency_key: key,
                },
            },
        );
        crate::store::enqueue(&mut tx, &envelope, vault).await?;
        fired += 1;
    }
    if fired > 0 {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(OUTBOX_CHANNEL)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(fired)
}

/// Deletes timers that fired before `before`, `batch` rows per statement
/// until none is left; returns how many. Idempotent.
pub async fn purge_fired(
    pool: &PgPool,
    before: DateTime<Utc>,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    crate::pruning::until_done(batch, |batch| {
        sqlx::query(
            "DELETE FROM saga_timers WHERE id IN ( \
             SELECT id FROM saga_timers WHERE fired_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(pool)
    })
    .await
}

/// The span of firing one timer, child of the span that scheduled it.
fn firing_span(envelope: &Envelope, scheduled_in: Option<&TraceContext>) -> tracing::Span {
    let span = tracing::info_span!(
        parent: None,
        "fire timer",
        saga_id = %envelope.saga_id,
        message_id = %envelope.message_id,
        trace_id = scheduled_in.map(TraceContext::trace_id),
    );
    if let Some(trace) = scheduled_in {
        propagation::set_remote_parent(&span, trace);
    }
    span
}

async fn next_due_in(pool: &PgPool, clock: &Clock) -> Option<Duration> {
    let next: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT min(due_at) FROM saga_timers WHERE fired_at IS NULL")
            .fetch_one(pool)
            .await
            .ok()?;
    next.map(|at| (at - clock.now()).to_std().unwrap_or(Duration::ZERO))
}
