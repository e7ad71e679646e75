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
//! The rows are read through their owners' typed functions (the
//! orchestrator's [`figures`], the workers' [`ledger`]).
//!
//! Timestamps are PostgreSQL's `now()`, the start of the writing
//! transaction, on the same machine as the bench's clock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_orchestrator::admin::figures;
use autobook_workers::admin as ledger;

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
    for (id, completed) in figures::completions(pool, &ids).await? {
        if let (Some(submitted), Some(completed)) = (sagas.get(&id), completed) {
            end_to_end.push(ms(completed - *submitted));
        }
    }
    let mut steps = Grouped::default();
    for transition in figures::transitions(pool, &ids).await? {
        let entered = transition.recorded_at;
        if transition.version == 1
            && let Some(submitted) = sagas.get(&transition.saga_id)
        {
            steps.add("intake", ms(entered - *submitted));
        }
        let status = transition.to_status.as_str();
        if let (Some((_, step)), Some(left)) =
            (STEPS.iter().find(|(s, _)| *s == status), transition.left_at)
        {
            steps.add(step, ms(left - entered));
        }
    }
    let mut calls = Grouped::default();
    for call in ledger::completed_calls(pool, &ids).await? {
        calls.add(call.step.as_str(), ms(call.completed_at - call.claimed_at));
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
    let outcomes = figures::outcomes(pool).await?;
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok(Outcomes {
        booked: count(outcomes.booked),
        not_booked: count(outcomes.not_booked),
        unfinished: count(outcomes.unfinished),
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
    let work = figures::work(pool).await?;
    let ledger = ledger::call_counts(pool).await?;
    let finished = work.finished_sagas as f64;
    let sagas = finished.max(1.0);
    let per = |value: f64| round(value / sagas, 2);
    let orchestrator = work.events as f64;
    let worker = 2.0 * ledger.calls as f64;
    let relay = work.relay_batches as f64;
    let timer = work.timer_batches as f64;
    Ok(WorkPerSaga {
        messages: per(finished + work.outbox as f64 + ledger.replies as f64),
        commits: per(orchestrator + worker + relay + timer),
        orchestrator_commits: per(orchestrator),
        worker_commits: per(worker),
        relay_commits: per(relay),
        timer_commits: per(timer),
        message_bytes: round(work.body_bytes, 0),
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
