//! The record of every action taken in the console (`console_actions`, a
//! table only this crate reads and writes): who, with which role, what, on
//! what, why, and what came of it.
//!
//! Every form carries a fresh action id. [`begin`] records the action
//! under it before anything is done; a form sent again (a double click, a
//! browser retrying) finds the id taken and is shown the first outcome
//! instead of acting twice.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// What came of an action, as shown to whoever took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Done as asked (false: refused, or failed).
    pub ok: bool,
    pub message: String,
}

impl Outcome {
    pub fn ok(message: impl Into<String>) -> Outcome {
        Outcome {
            ok: true,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Outcome {
        Outcome {
            ok: false,
            message: message.into(),
        }
    }
}

/// An action to record.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub action_id: Uuid,
    pub operator: &'a str,
    pub role: &'a str,
    /// For example `saga.retry`, `dead_letter.replay`, `flags.kill_switch`.
    pub action: &'a str,
    /// What it acts on: `saga:<id>`, `dead_letter:<id>`, `flags`.
    pub target: &'a str,
    pub reason: &'a str,
}

/// Whether an action is new, or was taken before under the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Began {
    /// Recorded now: go ahead.
    New,
    /// Taken before: its outcome (None: it did not finish).
    Before(Option<Outcome>),
}

/// Records an action before it is taken.
pub async fn begin(pool: &PgPool, request: &Request<'_>) -> Result<Began, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO console_actions (action_id, operator, role, action, target, reason) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (action_id) DO NOTHING",
    )
    .bind(request.action_id)
    .bind(request.operator)
    .bind(request.role)
    .bind(request.action)
    .bind(request.target)
    .bind(request.reason)
    .execute(pool)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Began::New);
    }
    let outcome: Option<Option<serde_json::Value>> =
        sqlx::query_scalar("SELECT outcome FROM console_actions WHERE action_id = $1")
            .bind(request.action_id)
            .fetch_optional(pool)
            .await?;
    Ok(Began::Before(
        outcome
            .flatten()
            .and_then(|value| serde_json::from_value(value).ok()),
    ))
}

/// Takes an action once under its id: records it, runs `act` if it is
/// new, records what came of it. A form sent again runs nothing.
pub async fn once<F, Fut>(pool: &PgPool, request: &Request<'_>, act: F) -> Result<(), sqlx::Error>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Outcome>,
{
    if begin(pool, request).await? == Began::New {
        let outcome = act().await;
        finish(pool, request.action_id, &outcome).await?;
    }
    Ok(())
}

/// Records what came of an action.
pub async fn finish(pool: &PgPool, action_id: Uuid, outcome: &Outcome) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE console_actions SET outcome = $2, finished_at = now() WHERE action_id = $1",
    )
    .bind(action_id)
    .bind(serde_json::to_value(outcome).unwrap_or_default())
    .execute(pool)
    .await?;
    Ok(())
}

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Recorded {
    pub action_id: Uuid,
    pub operator: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub outcome: Option<serde_json::Value>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl Recorded {
    /// The outcome, if the action finished.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
            .clone()
            .and_then(|value| serde_json::from_value(value).ok())
    }
}

/// The columns [`Recorded`] reads, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "SELECT action_id, operator, role, action, target, reason, requested_at, outcome, \
         finished_at FROM console_actions"
    };
}

/// One action by id.
pub async fn get(pool: &PgPool, action_id: Uuid) -> Result<Option<Recorded>, sqlx::Error> {
    sqlx::query_as(concat!(columns!(), " WHERE action_id = $1"))
        .bind(action_id)
        .fetch_optional(pool)
        .await
}

/// The latest actions, newest first; only those on `target` if given.
pub async fn latest(
    pool: &PgPool,
    target: Option<&str>,
    limit: i64,
) -> Result<Vec<Recorded>, sqlx::Error> {
    match target {
        Some(target) => {
            sqlx::query_as(concat!(
                columns!(),
                " WHERE target = $1 ORDER BY requested_at DESC LIMIT $2"
            ))
            .bind(target)
            .bind(limit)
            .fetch_all(pool)
            .await
        }
        None => {
            sqlx::query_as(concat!(columns!(), " ORDER BY requested_at DESC LIMIT $1"))
                .bind(limit)
                .fetch_all(pool)
                .await
        }
    }
}
