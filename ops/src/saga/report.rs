//! `ops saga show`: everything known about one saga, as one report.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use autobook_orchestrator::admin::sagas::{self, PendingMessage, PendingTimer};
use autobook_workers::admin::ProviderCall;

use super::details::{Detail, effect_text};
use crate::output::{Render, one_line, table, time};

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

impl From<sagas::AuditEntry> for HistoryEntry {
    fn from(entry: sagas::AuditEntry) -> Self {
        HistoryEntry {
            version: entry.version,
            recorded_at: entry.recorded_at,
            message_id: entry.message_id,
            message_type: entry.message_type,
            from_status: entry.from_status,
            to_status: entry.to_status,
            effects: match entry.effects {
                Value::Array(effects) => effects.iter().map(effect_text).collect(),
                _ => Vec::new(),
            },
            note: entry.note,
        }
    }
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
