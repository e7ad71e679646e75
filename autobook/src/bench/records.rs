//! What the database recorded about a bench run: latencies from the saga
//! rows and the audit trail, the provider-call ledger's timings, and how
//! many messages and commits the run made per saga.
//!
//! - **End to end**: the trip's submission (taken by the bench just before
//!   publishing it) to `sagas.completed_at`.
//! - **Steps**: `saga_audit.recorded_at` of the transition *into* a phase
//!   to that of the transition *out* of it: the whole round trip of the
//!   step as the saga sees it (outbox relay, broker, worker, provider call,
//!   reply, back to the orchestrator). `intake` is submission to the first
//!   transition (the trip request queued and handled).
//! - **Provider calls**: `provider_calls.claimed_at` to `completed_at`: the
//!   worker's share of the step (claim, provider HTTP call, reply stored).
//!
//! Timestamps are PostgreSQL's `now()`, the start of the writing
//! transaction, on the same machine as the bench's clock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::latency::{Grouped, Percentiles};
use super::proc_stats::round;

/// Saga statuses that wait on one step, and the step's name.
const STEPS: &[(&str, &str)] = &[
    ("searching", "search"),
    ("authorizing", "authorize"),
    ("ordering", "order"),
    ("capturing", "capture"),
    ("notifying", "notify"),
];

/// Latencies of the measured sagas.
#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    pub end_to_end: Percentiles,
    /// `intake` then every step, in saga order.
    pub steps: Vec<(String, Percentiles)>,
    /// The worker's part of each step.
    pub provider_calls: Vec<(String, Percentiles)>,
}

fn ms(duration: chrono::Duration) -> f64 {
    duration.num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

/// Latencies of `sagas` (id and submission time).
pub async fn latencies(
    pool: &PgPool,
    sagas: &HashMap<Uuid, DateTime<Utc>>,
) -> anyhow::Result<Latencies> {
    let ids: Vec<Uuid> = sagas.keys().copied().collect();
    let mut end_to_end = Vec::with_capacity(ids.len());
    for row in sqlx::query("SELECT id, completed_at FROM sagas WHERE terminal AND id = ANY($1)")
        .bind(&ids)
        .fetch_all(pool)
        .await?
    {
        let (id, completed): (Uuid, Option<DateTime<Utc>>) =
            (row.get("id"), row.get("completed_at"));
        if let (Some(submitted), Some(completed)) = (sagas.get(&id), completed) {
            end_to_end.push(ms(completed - *submitted));
        }
    }
    let mut steps = Grouped::default();
    let transitions = sqlx::query(
        "SELECT saga_id, version, to_status, recorded_at, \
         lead(recorded_at) OVER (PARTITION BY saga_id ORDER BY version) AS left_at \
         FROM saga_audit WHERE saga_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?;
    for row in transitions {
        let entered: DateTime<Utc> = row.get("recorded_at");
        if row.get::<i64, _>("version") == 1
            && let Some(submitted) = sagas.get(&row.get::<Uuid, _>("saga_id"))
        {
            steps.add("intake", ms(entered - *submitted));
        }
        let status: String = row.get("to_status");
        let left: Option<DateTime<Utc>> = row.get("left_at");
        if let (Some((_, step)), Some(left)) = (STEPS.iter().find(|(s, _)| *s == status), left) {
            steps.add(step, ms(left - entered));
        }
    }
    let mut calls = Grouped::default();
    for row in sqlx::query(
        "SELECT split_part(idempotency_key, ':', 2) AS step, claimed_at, completed_at \
         FROM provider_calls WHERE completed_at IS NOT NULL AND saga_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(pool)
    .await?
    {
        let (claimed, completed): (DateTime<Utc>, DateTime<Utc>) =
            (row.get("claimed_at"), row.get("completed_at"));
        calls.add(
            row.get::<String, _>("step").as_str(),
            ms(completed - claimed),
        );
    }
    let step_names: Vec<&str> = STEPS.iter().map(|(_, step)| *step).collect();
    let mut with_intake = vec!["intake"];
    with_intake.extend(&step_names);
    Ok(Latencies {
        end_to_end: Percentiles::of(end_to_end),
        steps: steps.summarize(&with_intake),
        provider_calls: calls.summarize(&step_names),
    })
}

/// Outcomes of the run's sagas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Outcomes {
    pub booked: usize,
    /// Finished any other way (failed, stuck, aborted).
    pub not_booked: usize,
    pub unfinished: usize,
}

pub async fn outcomes(pool: &PgPool) -> anyhow::Result<Outcomes> {
    let row = sqlx::query(
        "SELECT count(*) FILTER (WHERE status = 'booked') AS booked, \
         count(*) FILTER (WHERE terminal AND status <> 'booked') AS not_booked, \
         count(*) FILTER (WHERE NOT terminal) AS unfinished FROM sagas",
    )
    .fetch_one(pool)
    .await?;
    let count = |name: &str| usize::try_from(row.get::<i64, _>(name)).unwrap_or(0);
    Ok(Outcomes {
        booked: count("booked"),
        not_booked: count("not_booked"),
        unfinished: count("unfinished"),
    })
}

/// The broker and database work of an average saga, counted from the
/// rows every message and transaction leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WorkPerSaga {
    /// Messages published (persistent, confirmed) and consumed (acked):
    /// the trip request, every outbox row, every worker reply.
    pub messages: f64,
    /// Writing transactions committed: the sum of the four below.
    pub commits: f64,
    /// One per event handled (`inbox` rows).
    pub orchestrator_commits: f64,
    /// Claim and reply per provider call (`provider_calls` rows, twice).
    pub worker_commits: f64,
    /// Outbox relay batches (distinct `outbox.published_at`).
    pub relay_commits: f64,
    /// Timer batches (distinct `saga_timers.fired_at`).
    pub timer_commits: f64,
    /// Average encoded size of a message (outbox bodies), in bytes.
    pub message_bytes: f64,
}

/// Counts over every finished saga in the database.
pub async fn work_per_saga(pool: &PgPool) -> anyhow::Result<WorkPerSaga> {
    let row = sqlx::query(
        "SELECT \
         (SELECT count(*) FROM sagas WHERE terminal) AS sagas, \
         (SELECT count(*) FROM inbox) AS events, \
         (SELECT count(*) FROM outbox) AS outbox, \
         (SELECT coalesce(avg(length(body)), 0)::float8 FROM outbox) AS body_bytes, \
         (SELECT count(DISTINCT published_at) FROM outbox) AS relay_batches, \
         (SELECT count(*) FROM provider_calls) AS calls, \
         (SELECT count(*) FROM provider_calls WHERE reply IS NOT NULL) AS replies, \
         (SELECT count(DISTINCT fired_at) FROM saga_timers) AS timer_batches",
    )
    .fetch_one(pool)
    .await?;
    let count = |name: &str| row.get::<i64, _>(name) as f64;
    let sagas = count("sagas").max(1.0);
    let per = |value: f64| round(value / sagas, 2);
    let orchestrator = count("events");
    let worker = 2.0 * count("calls");
    let relay = count("relay_batches");
    let timer = count("timer_batches");
    Ok(WorkPerSaga {
        messages: per(count("sagas") + count("outbox") + count("replies")),
        commits: per(orchestrator + worker + relay + timer),
        orchestrator_commits: per(orchestrator),
        worker_commits: per(worker),
        relay_commits: per(relay),
        timer_commits: per(timer),
        message_bytes: round(row.get::<f64, _>("body_bytes"), 0),
    })
}

/// PostgreSQL settings that decide what a commit costs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DurabilitySettings {
    pub synchronous_commit: String,
    pub fsync: String,
}

pub async fn durability(pool: &PgPool) -> anyhow::Result<DurabilitySettings> {
    let synchronous_commit: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(pool)
        .await?;
    let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(pool).await?;
    Ok(DurabilitySettings {
        synchronous_commit,
        fsync,
    })
}
