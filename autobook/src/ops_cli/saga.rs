//! `autobook ops saga`: show one saga (phase, history, pending effects),
//! list sagas by status, and retry or abort a stuck one.
//!
//! Retry and abort go through the executor like any event: an envelope
//! with `saga.retry_requested` or `saga.abort_requested` is applied with
//! [`SagaStore::handle`] (inbox, optimistic version, audit row, outbox), and
//! the orchestrator's relay publishes whatever command results. Who asked
//! and why is written into `saga_audit.note` of the new audit row (found by
//! the envelope's message id) right after it commits, so `saga show` lists
//! it in the history. An abort also keeps both in the saga's final phase.
//!
//! The pure parts (status validation, phase details, the pre-check, text
//! rendering) are separate functions; the rest reads and writes PostgreSQL.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_contracts::events::{AbortRequested, RetryRequested, TripCancelRequested};
use autobook_contracts::{Envelope, Message};
use autobook_orchestrator::saga::state::{AfterRelease, Hold, OrderRef, Outcome};
use autobook_orchestrator::saga::{self, Phase, Policy, Saga};
use autobook_orchestrator::store::{Handled, SagaStore, load_saga};
use autobook_vault::Keyring;

use super::output::{Render, one_line, table, time, truncate};

/// Longest operator name accepted.
const MAX_OPERATOR_CHARS: usize = 64;
/// Longest reason accepted.
const MAX_REASON_CHARS: usize = 1000;

/// Checks a status name against every status a saga can have.
pub fn parse_status(name: &str) -> Result<&'static str, String> {
    Phase::STATUSES
        .iter()
        .copied()
        .find(|s| *s == name)
        .ok_or_else(|| {
            format!(
                "unknown saga status {name:?}: use one of {}",
                Phase::STATUSES.join(", ")
            )
        })
}

/// A retry or an abort, asked for by an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorAction {
    Retry,
    Abort,
    /// Cancel the trip on the traveller's behalf (`trip.cancel_requested`).
    Cancel,
}

impl OperatorAction {
    /// The message that carries the request.
    pub fn message(self, operator: &str, reason: &str) -> Message {
        let (operator, reason) = (operator.to_owned(), reason.to_owned());
        match self {
            OperatorAction::Retry => RetryRequested { operator, reason }.into(),
            OperatorAction::Abort => AbortRequested { operator, reason }.into(),
            OperatorAction::Cancel => TripCancelRequested {
                requested_by: operator,
            }
            .into(),
        }
    }
}

/// The operator's name: the one given, else `$USER`, else "operator".
pub fn operator_name(given: Option<&str>, user: Option<&str>) -> Result<String, String> {
    let name = given
        .or(user.filter(|u| !u.trim().is_empty()))
        .unwrap_or("operator")
        .trim();
    if name.is_empty() {
        return Err("the operator name must not be empty".into());
    }
    if name.chars().count() > MAX_OPERATOR_CHARS || name.chars().any(char::is_control) {
        return Err(format!(
            "the operator name must be one line of at most {MAX_OPERATOR_CHARS} characters"
        ));
    }
    Ok(name.to_owned())
}

/// The operator's name from `--operator` or the environment.
pub fn operator_from_env(given: Option<&str>) -> Result<String, String> {
    operator_name(given, std::env::var("USER").ok().as_deref())
}

/// A reason is required: it is what the next person reads.
pub fn check_reason(reason: &str) -> Result<String, String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("give a reason (--reason): it is kept in the saga's history".into());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "the reason must be at most {MAX_REASON_CHARS} characters"
        ));
    }
    Ok(reason.to_owned())
}

/// What goes into `saga_audit.note` for an operator's transition.
pub fn audit_note(operator: &str, reason: &str) -> String {
    format!("{operator}: {reason}")
}

/// Whether the saga accepts the request now (the pure decision, no I/O).
pub fn precheck(saga: &Saga, message: &Message, now: DateTime<Utc>) -> Result<(), Refusal> {
    saga::decide(saga, message, now, &Policy::default())
        .map(|_| ())
        .map_err(|e| Refusal {
            code: e.code().to_owned(),
            reason: e.to_string(),
        })
}

/// Why a request was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: String,
    pub reason: String,
}

/// One line of a saga's phase, for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub name: &'static str,
    pub value: String,
}

fn detail(name: &'static str, value: impl Into<String>) -> Detail {
    Detail {
        name,
        value: value.into(),
    }
}

fn hold_text(hold: &Hold) -> String {
    format!("{} ({})", hold.payment_intent_id, hold.amount)
}

fn order_text(order: &OrderRef) -> String {
    format!(
        "{} booking reference {} ({})",
        order.order_id, order.booking_reference, order.amount
    )
}

fn code_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::Object(fields)) => fields
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned(),
        _ => "?".to_owned(),
    }
}

/// What a phase holds that an operator needs: the problem of a stuck
/// saga, the step an unknown outcome waits on, the key a step waits on,
/// the hold and the order. Never the traveller's personal data.
pub fn phase_details(phase: &Phase) -> Vec<Detail> {
    let mut out = Vec::new();
    if let Some(key) = phase.pending_key()
        && !matches!(phase, Phase::OutcomeUnknown { .. })
    {
        out.push(detail("waiting on", key.as_str()));
    }
    match phase {
        Phase::Searching { .. } => {}
        Phase::Watching { next_search_at, .. } => {
            out.push(detail("next search", next_search_at.to_rfc3339()));
        }
        Phase::Paused { waiting, reason } => {
            out.push(detail("paused before", waiting.status()));
            out.push(detail("because", reason.clone()));
        }
        Phase::CancellingBooking { booking, .. } => {
            out.push(detail("order", order_text(&booking.order)));
            out.push(detail("captured", booking.captured.to_string()));
        }
        Phase::Refunding {
            booking, amount, ..
        } => {
            out.push(detail("order", order_text(&booking.order)));
            out.push(detail(
                "refunding",
                format!(
                    "{amount} of {} on {}",
                    booking.captured, booking.payment_intent_id
                ),
            ));
        }
        Phase::Cancelled {
            booking_reference,
            charged,
            refunded,
            notified,
        } => {
            if let Some(reference) = booking_reference {
                out.push(detail("cancelled booking", reference.clone()));
            }
            let money = |m: &Option<autobook_contracts::Money>| {
                m.map_or("nothing".to_owned(), |m| m.to_string())
            };
            out.push(detail("charged", money(charged)));
            out.push(detail("refunded", money(refunded)));
            out.push(detail("notified", notified.to_string()));
        }
        Phase::Authorizing { offer, .. } => {
            out.push(detail(
                "offer",
                format!("{} ({})", offer.offer_id, offer.total),
            ));
        }
        Phase::Ordering { offer, hold, .. } => {
            out.push(detail(
                "offer",
                format!("{} ({})", offer.offer_id, offer.total),
            ));
            out.push(detail("hold", hold_text(hold)));
        }
        Phase::Capturing { hold, order, .. } => {
            out.push(detail("hold", hold_text(hold)));
            out.push(detail("order", order_text(order)));
        }
        Phase::ReleasingHold { hold, then, .. } => {
            out.push(detail("hold", hold_text(hold)));
            let then = match then {
                AfterRelease::Research => "search again".to_owned(),
                AfterRelease::Fail { reason } => format!("fail ({})", code_of(reason)),
                AfterRelease::Cancelled => "cancelled by the traveller".to_owned(),
            };
            out.push(detail("then", then));
        }
        Phase::CancellingOrder {
            hold,
            order,
            reason,
            ..
        } => {
            out.push(detail("hold", hold_text(hold)));
            out.push(detail("order", order_text(order)));
            out.push(detail("because", code_of(reason)));
        }
        Phase::Notifying { outcome, .. } => {
            let outcome = match outcome {
                Outcome::Booked { booking } => {
                    format!("booked ({})", booking.order.booking_reference)
                }
                Outcome::Failed { reason } => format!("failed ({})", code_of(reason)),
                Outcome::Cancelled { .. } => "cancelled".to_owned(),
            };
            out.push(detail("telling the traveller", outcome));
        }
        Phase::Booked { booking, notified } => {
            out.push(detail("order", order_text(&booking.order)));
            out.push(detail(
                "captured",
                format!("{} on {}", booking.captured, booking.payment_intent_id),
            ));
            out.push(detail("notified", notified.to_string()));
        }
        Phase::Failed { reason, notified } => {
            out.push(detail("reason", code_of(reason)));
            out.push(detail("notified", notified.to_string()));
        }
        Phase::OutcomeUnknown {
            waiting,
            detail: why,
        } => {
            let key = waiting
                .pending_key()
                .map_or(String::new(), |k| format!(" ({k})"));
            out.push(detail("waiting step", format!("{}{key}", waiting.status())));
            out.push(detail("detail", why.clone()));
        }
        Phase::Stuck {
            problem,
            hold,
            order,
            resume,
        } => {
            out.push(detail("problem", problem.clone()));
            if let Some(hold) = hold {
                out.push(detail("hold", hold_text(hold)));
            }
            if let Some(order) = order {
                out.push(detail("order", order_text(order)));
            }
            let resume = match resume.as_deref() {
                Some(phase) => {
                    let key = phase
                        .pending_key()
                        .map_or(String::new(), |k| format!(" ({k})"));
                    format!("{}{key}", phase.status())
                }
                None => "nothing to retry: abort it".to_owned(),
            };
            out.push(detail("retry resumes", resume));
        }
        Phase::Aborted {
            problem,
            operator,
            reason,
        } => {
            out.push(detail("problem", problem.clone()));
            out.push(detail("aborted by", operator.clone()));
            out.push(detail("reason", reason.clone()));
        }
    }
    out
}

/// One effect of an audit row, in words ("send payment.void").
pub fn effect_text(effect: &Value) -> String {
    if let Some(sent) = effect.get("send").and_then(Value::as_str) {
        return format!("send {sent}");
    }
    if let Some(timer) = effect.get("schedule") {
        let kind = timer
            .get("timer")
            .and_then(|t| t.get("kind"))
            .or_else(|| timer.get("kind"))
            .and_then(Value::as_str)
            .unwrap_or("timer");
        let after = effect.get("after_ms").and_then(Value::as_u64).unwrap_or(0);
        return format!("timer {kind} in {after} ms");
    }
    one_line(&effect.to_string())
}

/// A saga in a list.
#[derive(Debug, Clone, Serialize)]
pub struct SagaSummary {
    pub id: Uuid,
    pub user_id: String,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The problem of a stuck or aborted saga.
    pub problem: Option<String>,
}

/// `saga list`.
#[derive(Debug, Clone, Serialize)]
pub struct SagaList {
    pub status: String,
    pub sagas: Vec<SagaSummary>,
}

impl Render for SagaList {
    fn render(&self) -> String {
        if self.sagas.is_empty() {
            return format!("no saga is {}\n", self.status);
        }
        let rows: Vec<Vec<String>> = self
            .sagas
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.status.clone(),
                    s.version.to_string(),
                    time(s.updated_at),
                    s.user_id.clone(),
                    truncate(&one_line(s.problem.as_deref().unwrap_or("")), 80),
                ]
            })
            .collect();
        table(
            &["ID", "STATUS", "VERSION", "UPDATED", "USER", "PROBLEM"],
            &rows,
        )
    }
}

/// Sagas in `status`, most recently updated first.
pub async fn list(pool: &PgPool, status: &str, limit: i64) -> anyhow::Result<SagaList> {
    let status = parse_status(status).map_err(anyhow::Error::msg)?;
    let rows = sqlx::query(
        "SELECT id, user_id, status, version, created_at, updated_at, state->'phase'->>'problem' AS problem \
         FROM sagas WHERE status = $1 ORDER BY updated_at DESC, id LIMIT $2",
    )
    .bind(status)
    .bind(limit.max(1))
    .fetch_all(pool)
    .await
    .context("reading sagas")?;
    let sagas = rows
        .iter()
        .map(|row| SagaSummary {
            id: row.get("id"),
            user_id: row.get("user_id"),
            status: row.get("status"),
            version: row.get("version"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            problem: row.get("problem"),
        })
        .collect();
    Ok(SagaList {
        status: status.to_owned(),
        sagas,
    })
}

/// One transition from the audit trail.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub message_id: Uuid,
    pub message_type: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub effects: Vec<String>,
    /// Who asked and why, for an operator's transition.
    pub note: Option<String>,
}

/// A command decided but not yet published.
#[derive(Debug, Clone, Serialize)]
pub struct PendingMessage {
    pub message_id: Uuid,
    pub message_type: String,
    pub created_at: DateTime<Utc>,
}

/// A timer not yet fired.
#[derive(Debug, Clone, Serialize)]
pub struct PendingTimer {
    pub timer: Value,
    pub due_at: DateTime<Utc>,
}

/// A worker's provider call for this saga.
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

/// Effects still under way.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pending {
    pub outbox: Vec<PendingMessage>,
    pub timers: Vec<PendingTimer>,
    pub provider_calls: Vec<ProviderCall>,
    /// Archived dead letters of this saga not replayed yet.
    pub dead_letters: i64,
}

/// `saga show`.
#[derive(Debug, Clone, Serialize)]
pub struct SagaReport {
    pub id: Uuid,
    pub user_id: String,
    pub status: String,
    pub terminal: bool,
    pub version: i64,
    pub epoch: u32,
    pub rechecks: u32,
    pub compensation_attempts: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub details: Vec<Detail>,
    pub history: Vec<HistoryEntry>,
    pub pending: Pending,
}

impl Render for SagaReport {
    fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "saga     {}", self.id);
        let _ = writeln!(
            out,
            "status   {}{}   version {}   epoch {}",
            self.status,
            if self.terminal { " (terminal)" } else { "" },
            self.version,
            self.epoch
        );
        let _ = writeln!(out, "user     {}", self.user_id);
        let _ = writeln!(
            out,
            "created  {}   updated {}{}",
            time(self.created_at),
            time(self.updated_at),
            self.completed_at
                .map_or(String::new(), |t| format!("   completed {}", time(t)))
        );
        if self.rechecks > 0 || self.compensation_attempts > 0 {
            let _ = writeln!(
                out,
                "retries  {} re-checks, {} compensation attempts",
                self.rechecks, self.compensation_attempts
            );
        }
        for d in &self.details {
            let _ = writeln!(out, "  {}: {}", d.name, one_line(&d.value));
        }
        let _ = writeln!(out, "\nhistory");
        let rows: Vec<Vec<String>> = self
            .history
            .iter()
            .map(|h| {
                let mut what = h.effects.join(", ");
                if let Some(note) = &h.note {
                    what = if what.is_empty() {
                        format!("[{}]", one_line(note))
                    } else {
                        format!("{what} [{}]", one_line(note))
                    };
                }
                vec![
                    format!("v{}", h.version),
                    time(h.recorded_at),
                    h.message_type.clone(),
                    format!(
                        "{} → {}",
                        h.from_status.as_deref().unwrap_or("new"),
                        h.to_status
                    ),
                    what,
                ]
            })
            .collect();
        for line in table(&["", "AT", "MESSAGE", "TRANSITION", "EFFECTS"], &rows).lines() {
            let _ = writeln!(out, "  {line}");
        }
        let pending = &self.pending;
        let _ = writeln!(out, "\npending");
        if pending.outbox.is_empty() && pending.timers.is_empty() {
            let _ = writeln!(out, "  nothing in the outbox, no timer set");
        }
        for m in &pending.outbox {
            let _ = writeln!(
                out,
                "  outbox  {} {} (since {})",
                m.message_type,
                m.message_id,
                time(m.created_at)
            );
        }
        for t in &pending.timers {
            let kind = t
                .timer
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("timer");
            let key = t
                .timer
                .get("idempotency_key")
                .and_then(Value::as_str)
                .unwrap_or("");
            let _ = writeln!(out, "  timer   {kind} {key} due {}", time(t.due_at));
        }
        if !pending.provider_calls.is_empty() {
            let _ = writeln!(out, "\nprovider calls");
            let rows: Vec<Vec<String>> = pending
                .provider_calls
                .iter()
                .map(|c| {
                    vec![
                        c.idempotency_key.clone(),
                        c.step.clone(),
                        format!(
                            "{}{}",
                            c.status,
                            if c.outcome_unknown {
                                " (outcome unknown)"
                            } else {
                                ""
                            }
                        ),
                        c.fence.to_string(),
                        time(c.claimed_at),
                    ]
                })
                .collect();
            for line in table(&["KEY", "STEP", "STATUS", "FENCE", "CLAIMED"], &rows).lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        if pending.dead_letters > 0 {
            let _ = writeln!(
                out,
                "\n{} dead letter(s) of this saga not replayed (autobook ops dlq list)",
                pending.dead_letters
            );
        }
        out
    }
}

/// Everything known about one saga (its state opened with `vault`); None
/// if there is no such saga.
pub async fn show(pool: &PgPool, vault: &Keyring, id: Uuid) -> anyhow::Result<Option<SagaReport>> {
    let Some(row) = load_saga(pool, vault, id)
        .await
        .context("reading the saga")?
    else {
        return Ok(None);
    };
    let history = sqlx::query(
        "SELECT version, recorded_at, message_id, message_type, from_status, to_status, effects, note \
         FROM saga_audit WHERE saga_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .context("reading the audit trail")?
    .iter()
    .map(|r| HistoryEntry {
        version: r.get("version"),
        recorded_at: r.get("recorded_at"),
        message_id: r.get("message_id"),
        message_type: r.get("message_type"),
        from_status: r.get("from_status"),
        to_status: r.get("to_status"),
        effects: match r.get::<Value, _>("effects") {
            Value::Array(effects) => effects.iter().map(effect_text).collect(),
            _ => Vec::new(),
        },
        note: r.get("note"),
    })
    .collect();
    let outbox = sqlx::query(
        "SELECT message_id, message_type, created_at FROM outbox \
         WHERE saga_id = $1 AND published_at IS NULL ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| PendingMessage {
        message_id: r.get("message_id"),
        message_type: r.get("message_type"),
        created_at: r.get("created_at"),
    })
    .collect();
    let timers = sqlx::query(
        "SELECT timer, due_at FROM saga_timers WHERE saga_id = $1 AND fired_at IS NULL ORDER BY due_at",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|r| PendingTimer {
        timer: r.get("timer"),
        due_at: r.get("due_at"),
    })
    .collect();
    let provider_calls = sqlx::query(
        "SELECT idempotency_key, step, status, fence, outcome_unknown, claimed_at, completed_at \
         FROM provider_calls WHERE saga_id = $1 ORDER BY claimed_at, idempotency_key",
    )
    .bind(id)
    .fetch_all(pool)
    .await?
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
    .collect();
    let dead_letters: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dead_letters WHERE saga_id = $1 AND replayed_at IS NULL",
    )
    .bind(id)
    .fetch_one(pool)
    .await?;
    let saga = &row.saga;
    Ok(Some(SagaReport {
        id: row.id,
        user_id: row.user_id.clone(),
        status: row.status.clone(),
        terminal: row.terminal,
        version: row.version,
        epoch: saga.epoch,
        rechecks: saga.rechecks,
        compensation_attempts: saga.compensation_attempts,
        created_at: row.created_at,
        updated_at: row.updated_at,
        completed_at: row.completed_at,
        details: phase_details(&saga.phase),
        history,
        pending: Pending {
            outbox,
            timers,
            provider_calls,
            dead_letters,
        },
    }))
}

/// What became of a retry or abort.
#[derive(Debug, Clone, Serialize)]
pub struct RequestOutcome {
    pub saga_id: Uuid,
    pub action: OperatorAction,
    pub operator: String,
    pub reason: String,
    #[serde(flatten)]
    pub result: RequestResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum RequestResult {
    /// The saga moved; `version` is its new version (and audit row).
    Applied {
        from: String,
        to: String,
        version: i64,
    },
    Refused(Refusal),
}

impl RequestOutcome {
    pub fn refused(&self) -> bool {
        matches!(self.result, RequestResult::Refused(_))
    }
}

impl Render for RequestOutcome {
    fn render(&self) -> String {
        let action = match self.action {
            OperatorAction::Retry => "retry",
            OperatorAction::Abort => "abort",
            OperatorAction::Cancel => "cancel",
        };
        match &self.result {
            RequestResult::Applied { from, to, version } => format!(
                "saga {}: {action} applied by {}: {from} → {to} (version {version})\n",
                self.saga_id, self.operator
            ),
            RequestResult::Refused(refusal) => format!(
                "saga {}: {action} refused ({}): {}\n",
                self.saga_id, refusal.code, refusal.reason
            ),
        }
    }
}

/// Applies an operator's retry or abort to a stuck saga. Refused (not an
/// error) when there is no such saga or the saga does not accept it.
pub async fn request(
    pool: &PgPool,
    vault: &Keyring,
    saga_id: Uuid,
    action: OperatorAction,
    operator: &str,
    reason: &str,
) -> anyhow::Result<RequestOutcome> {
    let operator = operator_name(Some(operator), None).map_err(anyhow::Error::msg)?;
    let reason = check_reason(reason).map_err(anyhow::Error::msg)?;
    let outcome = |result| RequestOutcome {
        saga_id,
        action,
        operator: operator.clone(),
        reason: reason.clone(),
        result,
    };
    let now = Utc::now();
    let message = action.message(&operator, &reason);
    let Some(row) = load_saga(pool, vault, saga_id)
        .await
        .context("reading the saga")?
    else {
        return Ok(outcome(RequestResult::Refused(Refusal {
            code: "unknown_saga".into(),
            reason: format!("there is no saga {saga_id}"),
        })));
    };
    if let Err(refusal) = precheck(&row.saga, &message, now) {
        return Ok(outcome(RequestResult::Refused(refusal)));
    }
    let envelope = Envelope::new(saga_id, message);
    let handled = SagaStore::new(pool.clone(), Policy::default(), vault.clone())
        .handle(&envelope, now)
        .await
        .context("applying the request")?;
    let result = match handled {
        Handled::Applied { from, to } => {
            let version = record_note(pool, &envelope, &audit_note(&operator, &reason)).await?;
            RequestResult::Applied {
                from: from.unwrap_or("new").to_owned(),
                to: to.to_owned(),
                version,
            }
        }
        Handled::Rejected { code, reason } => RequestResult::Refused(Refusal {
            code: code.to_owned(),
            reason,
        }),
        Handled::NotYet { reason } => RequestResult::Refused(Refusal {
            code: "unknown_saga".into(),
            reason,
        }),
        Handled::Ignored { code, reason } => RequestResult::Refused(Refusal {
            code: code.to_owned(),
            reason,
        }),
        Handled::Duplicate => RequestResult::Refused(Refusal {
            code: "duplicate".into(),
            reason: "this request was applied before".into(),
        }),
    };
    Ok(outcome(result))
}

/// Writes who and why on the audit row of `envelope`; returns its version.
async fn record_note(pool: &PgPool, envelope: &Envelope, note: &str) -> anyhow::Result<i64> {
    let version: Option<i64> = sqlx::query_scalar(
        "UPDATE saga_audit SET note = $3 WHERE saga_id = $1 AND message_id = $2 RETURNING version",
    )
    .bind(envelope.saga_id)
    .bind(envelope.message_id)
    .bind(note)
    .fetch_optional(pool)
    .await
    .context("recording the operator's note in the audit trail")?;
    version.context("the audit row of the request is missing")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use autobook_contracts::money::{Currency, Money};
    use autobook_contracts::{IdempotencyKey, Step};

    use super::*;

    #[test]
    fn statuses_are_checked() {
        assert_eq!(parse_status("stuck"), Ok("stuck"));
        for status in Phase::STATUSES {
            assert_eq!(parse_status(status), Ok(*status));
        }
        let error = parse_status("needs_attention").unwrap_err();
        assert!(error.contains("unknown saga status"), "{error}");
        assert!(
            error.contains("stuck") && error.contains("aborted"),
            "{error}"
        );
    }

    #[test]
    fn the_operator_defaults_to_the_user_then_to_operator() {
        assert_eq!(operator_name(Some("ana"), Some("bob")).unwrap(), "ana");
        assert_eq!(operator_name(None, Some("bob")).unwrap(), "bob");
        assert_eq!(operator_name(None, Some("  ")).unwrap(), "operator");
        assert_eq!(operator_name(None, None).unwrap(), "operator");
        assert!(operator_name(Some(" "), None).is_err());
        assert!(operator_name(Some("a\nb"), None).is_err());
        assert!(check_reason("  ").is_err());
        assert_eq!(check_reason(" card reissued ").unwrap(), "card reissued");
    }

    fn hold() -> Hold {
        Hold {
            payment_intent_id: "pi_1".into(),
            amount: Money::new(12_345, Currency::USD),
        }
    }

    #[test]
    fn a_stuck_phase_shows_its_problem_and_what_a_retry_resumes() {
        let key = IdempotencyKey::derive(Uuid::now_v7(), Step::Void, 1);
        let phase = Phase::Stuck {
            problem: "hold could not be released after 2 attempts".into(),
            hold: Some(hold()),
            order: None,
            resume: Some(Box::new(Phase::ReleasingHold {
                key: key.clone(),
                hold: hold(),
                then: AfterRelease::Research,
            })),
        };
        let details = phase_details(&phase);
        let find = |name| {
            details
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.value.clone())
        };
        assert_eq!(
            find("problem").as_deref(),
            Some("hold could not be released after 2 attempts")
        );
        assert_eq!(find("hold").as_deref(), Some("pi_1 (123.45 USD)"));
        assert_eq!(
            find("retry resumes"),
            Some(format!("releasing_hold ({key})"))
        );
        assert_eq!(find("waiting on"), None, "a stuck saga waits on nobody");
    }

    #[test]
    fn an_unknown_outcome_shows_the_step_it_waits_on() {
        let key = IdempotencyKey::derive(Uuid::now_v7(), Step::Void, 1);
        let phase = Phase::OutcomeUnknown {
            waiting: Box::new(Phase::ReleasingHold {
                key: key.clone(),
                hold: hold(),
                then: AfterRelease::Research,
            }),
            detail: "timed out".into(),
        };
        let details = phase_details(&phase);
        assert_eq!(details[0].name, "waiting step");
        assert_eq!(details[0].value, format!("releasing_hold ({key})"));
        assert_eq!(details[1].value, "timed out");
    }

    #[test]
    fn audit_effects_read_as_words() {
        let send = serde_json::json!({"send": "payment.void", "idempotency_key": "k"});
        assert_eq!(effect_text(&send), "send payment.void");
        let timer = serde_json::json!({
            "schedule": {"timer": {"kind": "retry_compensation", "idempotency_key": "k"}},
            "after_ms": 100
        });
        assert_eq!(effect_text(&timer), "timer retry_compensation in 100 ms");
    }

    #[test]
    fn operator_messages_carry_who_and_why() {
        let message = OperatorAction::Abort.message("ana", "refunded by hand");
        assert_eq!(
            message,
            Message::AbortRequested(AbortRequested {
                operator: "ana".into(),
                reason: "refunded by hand".into()
            })
        );
        assert_eq!(
            audit_note("ana", "refunded by hand"),
            "ana: refunded by hand"
        );
    }
}
