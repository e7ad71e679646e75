//! `autobook ops dlq`: the dead-letter archive (`dead_letters`, filled by
//! the orchestrator's archiver): list, show, replay and purge.
//!
//! The archive is read and changed through the orchestrator's
//! [`admin::dead_letters`](autobook_orchestrator::admin::dead_letters); a
//! replay is judged against its saga and published back by
//! [`admin::replay`](autobook_orchestrator::admin::replay), so that only a
//! message that can now succeed goes back, to the queue it came from, and
//! is marked replayed only once the broker confirms. Bodies are stored
//! sealed: `show` and `replay` open them with the keyring
//! (`AUTOBOOK_DATA_KEYS`), personal fields included. Here are the
//! arguments and the rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_broker::Publisher;
use autobook_orchestrator::admin::{dead_letters, replay as replays};
use autobook_vault::Keyring;

use super::output::{Render, body_text, one_line, table, time, truncate};

pub use autobook_orchestrator::admin::dead_letters::{
    DeadLetterSummary, Filter, Selection, parse_role,
};
pub use autobook_orchestrator::admin::replay::{
    ReplayOutcome, ReplayReport, SagaView, judge, original_properties,
};

/// Bytes of a body `dlq show` prints.
const BODY_PREVIEW_BYTES: usize = 4096;

/// `dlq list`.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterList {
    pub include_replayed: bool,
    pub dead_letters: Vec<DeadLetterSummary>,
}

impl Render for DeadLetterList {
    fn render(&self) -> String {
        if self.dead_letters.is_empty() {
            return if self.include_replayed {
                "no dead letters\n".into()
            } else {
                "no dead letters waiting (add --all to include replayed ones)\n".into()
            };
        }
        let rows: Vec<Vec<String>> = self
            .dead_letters
            .iter()
            .map(|d| {
                vec![
                    d.id.to_string(),
                    time(d.dead_lettered_at),
                    d.role.clone(),
                    d.code.clone(),
                    d.message_type.clone().unwrap_or_else(|| "-".into()),
                    d.saga_id.map_or_else(|| "-".into(), |s| s.to_string()),
                    d.replayed_at.map_or_else(|| "-".into(), time),
                    truncate(&one_line(&d.reason), 70),
                ]
            })
            .collect();
        table(
            &[
                "ID", "AT", "QUEUE", "CODE", "TYPE", "SAGA", "REPLAYED", "REASON",
            ],
            &rows,
        )
    }
}

/// Dead letters, oldest first.
pub async fn list(pool: &PgPool, filter: &Filter) -> anyhow::Result<DeadLetterList> {
    let dead_letters = dead_letters::list(pool, filter)
        .await
        .context("reading the dead-letter archive")?;
    Ok(DeadLetterList {
        include_replayed: filter.include_replayed,
        dead_letters,
    })
}

/// `dlq show`.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterDetail {
    #[serde(flatten)]
    pub summary: DeadLetterSummary,
    pub archived_at: DateTime<Utc>,
    pub content_type: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub body_bytes: usize,
    /// The body as text (invalid UTF-8 replaced), cut after 4 KiB.
    pub body: String,
}

impl Render for DeadLetterDetail {
    fn render(&self) -> String {
        let s = &self.summary;
        let mut out = String::new();
        let _ = writeln!(out, "dead letter   {}", s.id);
        let _ = writeln!(out, "code          {}", s.code);
        let _ = writeln!(out, "reason        {}", one_line(&s.reason));
        let _ = writeln!(out, "from queue    {} ({})", s.source_queue, s.role);
        let _ = writeln!(out, "attempts      {}", s.attempts);
        let _ = writeln!(out, "dead-lettered {}", time(s.dead_lettered_at));
        let _ = writeln!(out, "archived      {}", time(self.archived_at));
        let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "message       {} {}",
            opt(s.message_type.clone()),
            opt(s.message_id.map(|m| m.to_string()))
        );
        let _ = writeln!(
            out,
            "saga          {}",
            opt(s.saga_id.map(|m| m.to_string()))
        );
        match s.replayed_at {
            Some(at) => {
                let note = s.replay_note.as_deref().unwrap_or("");
                let _ = writeln!(out, "replayed      {} {note}", time(at));
            }
            None => {
                let _ = writeln!(out, "replayed      no");
            }
        }
        let _ = writeln!(out, "\nheaders");
        for (name, value) in &self.headers {
            let _ = writeln!(out, "  {name}: {}", one_line(value));
        }
        let _ = writeln!(
            out,
            "\nbody ({} bytes, {})",
            self.body_bytes,
            self.content_type.as_deref().unwrap_or("no content type")
        );
        let _ = writeln!(out, "{}", self.body);
        out
    }
}

/// One archived dead letter, its body opened with `vault`; None if there
/// is none with this id.
pub async fn show(
    pool: &PgPool,
    vault: &Keyring,
    id: Uuid,
) -> anyhow::Result<Option<DeadLetterDetail>> {
    let Some(letter) = dead_letters::fetch(pool, id)
        .await
        .context("reading the dead-letter archive")?
    else {
        return Ok(None);
    };
    let body = letter
        .opened_body(vault)
        .context("opening the dead letter's body")?;
    let headers = match &letter.headers {
        Value::Object(fields) => fields
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Some(DeadLetterDetail {
        summary: letter.summary,
        archived_at: letter.archived_at,
        content_type: letter.content_type,
        headers,
        body_bytes: body.len(),
        body: body_text(&body, BODY_PREVIEW_BYTES),
    }))
}

/// `dlq replay`.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaySummary {
    pub dry_run: bool,
    pub reports: Vec<ReplayReport>,
}

impl ReplaySummary {
    /// How many were refused or failed.
    pub fn not_replayed(&self) -> usize {
        self.reports.iter().filter(|r| !r.succeeded()).count()
    }
}

impl Render for ReplaySummary {
    fn render(&self) -> String {
        if self.reports.is_empty() {
            return "no dead letters matched\n".into();
        }
        let mut out = String::new();
        for r in &self.reports {
            let what = format!(
                "{} {}",
                r.message_type.as_deref().unwrap_or("?"),
                r.saga_id
                    .map_or_else(String::new, |s| format!("(saga {s})"))
            );
            let line = match &r.outcome {
                ReplayOutcome::Replayed { queue } => {
                    format!("replayed      {} {what} → {queue}", r.id)
                }
                ReplayOutcome::WouldReplay { queue } => {
                    format!("would replay  {} {what} → {queue}", r.id)
                }
                ReplayOutcome::Refused { reason } => {
                    format!("refused       {} {what}: {}", r.id, one_line(reason))
                }
                ReplayOutcome::Failed { reason } => {
                    format!("failed        {} {what}: {}", r.id, one_line(reason))
                }
            };
            let _ = writeln!(out, "{line}");
        }
        let done = self.reports.len() - self.not_replayed();
        let verb = if self.dry_run {
            "would be replayed"
        } else {
            "replayed"
        };
        let _ = writeln!(out, "{done} of {} {verb}", self.reports.len());
        out
    }
}

/// Replays the selected dead letters that can succeed now. `publisher`
/// may be None only for a dry run.
pub async fn replay(
    pool: &PgPool,
    vault: &Keyring,
    publisher: Option<&Publisher>,
    selection: &Selection,
    dry_run: bool,
    operator: &str,
) -> anyhow::Result<ReplaySummary> {
    let reports = replays::replay(pool, vault, publisher, selection, dry_run, operator).await?;
    Ok(ReplaySummary { dry_run, reports })
}

/// `dlq purge`.
#[derive(Debug, Clone, Serialize)]
pub struct PurgeSummary {
    pub deleted: u64,
}

impl Render for PurgeSummary {
    fn render(&self) -> String {
        format!("{} dead letter(s) deleted from the archive\n", self.deleted)
    }
}

/// Deletes the selected archive rows (`replayed_only`: only those already
/// replayed). Unlike replay, filters and `--all` include replayed rows.
pub async fn purge(
    pool: &PgPool,
    selection: &Selection,
    replayed_only: bool,
) -> anyhow::Result<PurgeSummary> {
    let deleted = dead_letters::purge(pool, selection, replayed_only)
        .await
        .context("purging the dead-letter archive")?;
    Ok(PurgeSummary { deleted })
}
