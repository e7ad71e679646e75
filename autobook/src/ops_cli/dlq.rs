//! `autobook ops dlq`: the dead-letter archive (`dead_letters`, filled by
//! the orchestrator's archiver): list, show, replay and purge.
//!
//! A replay is checked against the saga first, so that only a message that
//! can now succeed goes back:
//!
//! - the body must decode as an envelope, and belong on the queue it came
//!   from;
//! - an event (for the orchestrator) must not be in the inbox already;
//!   `trip.requested` needs a saga that does not exist yet (and a valid
//!   trip); any other event must be accepted by the pure decision on the
//!   stored saga;
//! - a command (for a worker) must carry the idempotency key the saga's
//!   current phase waits on.
//!
//! An accepted message is published as it was (same content, same message id,
//! its original properties without the dead-letter headers) to the default
//! exchange with the source queue as routing key, so it goes back exactly
//! where it came from and the inbox or the provider-call ledger still
//! de-duplicates it. Only after the broker confirms is the row marked
//! replayed; a failed publish leaves it untouched. The row is locked
//! (`FOR UPDATE SKIP LOCKED`) meanwhile, so two operators never replay the
//! same dead letter at once. Bodies are stored sealed: `show` and
//! `replay` open them with the keyring (`AUTOBOOK_DATA_KEYS`), personal
//! fields included. A replayed body goes back with its personal fields
//! sealed for its message, as a publisher sends them (one refused for
//! plaintext ones is sealed on the way).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Utc};
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use autobook_broker::Publisher;
use autobook_broker::properties::for_replay;
use autobook_contracts::topology::CONTENT_TYPE;
use autobook_contracts::{Envelope, Message, MessageKind, QueueRole};
use autobook_orchestrator::saga::{self, Policy, Saga};
use autobook_vault::{Keyring, Place};

use super::output::{Render, body_text, one_line, table, time, truncate};

/// Bytes of a body `dlq show` prints.
const BODY_PREVIEW_BYTES: usize = 4096;

/// Parses a role name (orchestrator, search, payment, order, notify).
pub fn parse_role(name: &str) -> Result<QueueRole, String> {
    QueueRole::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = QueueRole::ALL.iter().map(QueueRole::as_str).collect();
            format!("unknown queue {name:?}: use one of {}", names.join(", "))
        })
}

/// Which dead letters an action applies to. Actions require one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    One(Uuid),
    /// Not yet replayed ones, of a queue and/or with a code.
    Matching {
        role: Option<QueueRole>,
        code: Option<String>,
    },
    /// Every one not yet replayed.
    All,
}

impl Selection {
    /// Exactly one kind of selector: an id, filters, or `--all`.
    pub fn new(
        id: Option<Uuid>,
        role: Option<QueueRole>,
        code: Option<String>,
        all: bool,
    ) -> Result<Selection, String> {
        let filters = role.is_some() || code.is_some();
        match (id, filters, all) {
            (Some(id), false, false) => Ok(Selection::One(id)),
            (None, true, false) => Ok(Selection::Matching { role, code }),
            (None, false, true) => Ok(Selection::All),
            (None, false, false) => {
                Err("say which dead letters: an id, --queue, --code or --all".into())
            }
            _ => Err("give either an id, or --queue/--code, or --all".into()),
        }
    }
}

/// What `dlq list` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub role: Option<QueueRole>,
    pub code: Option<String>,
    /// Also those already replayed.
    pub include_replayed: bool,
    pub limit: i64,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            role: None,
            code: None,
            include_replayed: false,
            limit: 100,
        }
    }
}

/// A dead letter in a list.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterSummary {
    pub id: Uuid,
    pub role: String,
    pub source_queue: String,
    pub code: String,
    pub reason: String,
    pub attempts: i32,
    pub dead_lettered_at: DateTime<Utc>,
    pub message_id: Option<Uuid>,
    pub saga_id: Option<Uuid>,
    pub message_type: Option<String>,
    pub replayed_at: Option<DateTime<Utc>>,
    pub replay_note: Option<String>,
}

/// The columns [`summary`] reads, as a literal for `concat!`.
macro_rules! summary_columns {
    () => {
        "id, role, source_queue, code, reason, attempts, dead_lettered_at, \
         message_id, saga_id, message_type, replayed_at, replay_note"
    };
}

fn summary(row: &PgRow) -> DeadLetterSummary {
    DeadLetterSummary {
        id: row.get("id"),
        role: row.get("role"),
        source_queue: row.get("source_queue"),
        code: row.get("code"),
        reason: row.get("reason"),
        attempts: row.get("attempts"),
        dead_lettered_at: row.get("dead_lettered_at"),
        message_id: row.get("message_id"),
        saga_id: row.get("saga_id"),
        message_type: row.get("message_type"),
        replayed_at: row.get("replayed_at"),
        replay_note: row.get("replay_note"),
    }
}

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
    let mut query = QueryBuilder::<Postgres>::new(concat!(
        "SELECT ",
        summary_columns!(),
        " FROM dead_letters WHERE true"
    ));
    if !filter.include_replayed {
        query.push(" AND replayed_at IS NULL");
    }
    if let Some(role) = filter.role {
        query.push(" AND role = ").push_bind(role.as_str());
    }
    if let Some(code) = &filter.code {
        query.push(" AND code = ").push_bind(code.clone());
    }
    query
        .push(" ORDER BY dead_lettered_at, id LIMIT ")
        .push_bind(filter.limit.max(1));
    let rows = query
        .build()
        .fetch_all(pool)
        .await
        .context("reading the dead-letter archive")?;
    Ok(DeadLetterList {
        include_replayed: filter.include_replayed,
        dead_letters: rows.iter().map(summary).collect(),
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
    let row = sqlx::query(concat!(
        "SELECT ",
        summary_columns!(),
        ", archived_at, content_type, headers, body FROM dead_letters WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("reading the dead-letter archive")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored = vault
        .open_bytes(row.get::<&[u8], _>("body"), &Place::dead_letter(id), "body")
        .context("opening the dead letter's body")?;
    // Its personal fields too, when they open; otherwise as it came.
    let body = match vault.open_envelope(&stored) {
        Ok(opened) => opened.into_owned(),
        Err(_) => stored.into_owned(),
    };
    let headers = match row.get::<Value, _>("headers") {
        Value::Object(fields) => fields
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect(),
        _ => BTreeMap::new(),
    };
    Ok(Some(DeadLetterDetail {
        summary: summary(&row),
        archived_at: row.get("archived_at"),
        content_type: row.get("content_type"),
        headers,
        body_bytes: body.len(),
        body: body_text(&body, BODY_PREVIEW_BYTES),
    }))
}

/// What the stores say about the saga of a message to replay.
#[derive(Debug, Clone)]
pub struct SagaView {
    /// The orchestrator handled this message id already.
    pub in_inbox: bool,
    /// The saga, if it exists (Err: its state is unreadable).
    pub saga: Option<Result<Saga, String>>,
    /// What the saga's records say of the message's cause.
    pub cause: saga::Cause,
}

/// Whether a decoded dead letter can succeed now (pure). `role` is the
/// queue it was dead-lettered from. Err holds the reason for refusing.
pub fn judge(
    envelope: &Envelope,
    role: QueueRole,
    view: &SagaView,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let message_type = envelope.message_type();
    let consumer = message_type.consumer();
    if consumer != role {
        return Err(format!(
            "{message_type} belongs on the {} queue, not {}: it would be refused there again",
            consumer.as_str(),
            role.as_str()
        ));
    }
    let saga_id = envelope.saga_id;
    match message_type.kind() {
        MessageKind::Event => {
            if view.in_inbox {
                return Err(format!(
                    "already handled: message {} is in the orchestrator's inbox",
                    envelope.message_id
                ));
            }
            match (&envelope.message, &view.saga) {
                (Message::TripRequested(_), Some(_)) => {
                    Err(format!("stale: saga {saga_id} exists already"))
                }
                (Message::TripRequested(trip), None) => saga::start(
                    saga_id,
                    trip.clone(),
                    now,
                    &Policy::default(),
                    &saga::Admission::Open,
                )
                .map(|_| ())
                .map_err(|e| format!("the trip is invalid: {e}")),
                (_, None) => Err(format!(
                    "there is still no saga {saga_id}: it would be dead-lettered again"
                )),
                (_, Some(Err(corrupt))) => Err(format!("the saga cannot be read: {corrupt}")),
                (message, Some(Ok(saga))) => {
                    saga::causation::check(message, &view.cause)
                        .map_err(|e| format!("refused ({}): {e}", e.code()))?;
                    saga::decide(saga, message, now, &Policy::default())
                        .map(|_| ())
                        .map_err(|e| format!("stale ({}): {e}", e.code()))
                }
            }
        }
        MessageKind::Command => {
            let saga = match &view.saga {
                None => return Err(format!("there is no saga {saga_id}")),
                Some(Err(corrupt)) => return Err(format!("the saga cannot be read: {corrupt}")),
                Some(Ok(saga)) => saga,
            };
            let key = envelope.message.idempotency_key();
            let pending = saga.phase.pending_key();
            if key.is_some() && key == pending {
                return Ok(());
            }
            let waits = pending.map_or_else(
                || "waits on no command".to_owned(),
                |k| format!("waits on {k}"),
            );
            Err(format!(
                "stale: the saga is {} and {waits}; this command is for {}",
                saga.phase.status(),
                key.map_or("no step", |k| k.as_str())
            ))
        }
    }
}

/// The properties the message was first published with: as archived, or
/// rebuilt from the archived columns when they cannot be read back.
pub fn original_properties(
    stored: Option<&Value>,
    content_type: Option<&str>,
    message_id: Option<Uuid>,
    saga_id: Option<Uuid>,
    message_type: Option<&str>,
    text_headers: &Value,
) -> BasicProperties {
    // Every property is optional, so anything deserializes: an empty result
    // means the stored value was not what the archiver wrote.
    if let Some(properties) = stored
        .and_then(|v| serde_json::from_value::<BasicProperties>(v.clone()).ok())
        .filter(|p| *p != BasicProperties::default())
    {
        return properties;
    }
    let mut properties = BasicProperties::default()
        .with_content_type(content_type.unwrap_or(CONTENT_TYPE).into())
        .with_delivery_mode(2);
    if let Some(id) = message_id {
        properties = properties.with_message_id(id.to_string().into());
    }
    if let Some(id) = saga_id {
        properties = properties.with_correlation_id(id.to_string().into());
    }
    if let Some(t) = message_type {
        properties = properties.with_type(t.into());
    }
    let mut headers = FieldTable::default();
    if let Value::Object(fields) = text_headers {
        for (name, value) in fields {
            if let Some(text) = value.as_str() {
                headers.insert(
                    name.as_str().into(),
                    AMQPValue::LongString(text.to_owned().into()),
                );
            }
        }
    }
    properties.with_headers(headers)
}

/// The outcome of replaying one dead letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReplayOutcome {
    /// Published back to its queue and marked replayed.
    Replayed { queue: String },
    /// Would be replayed (`--dry-run`).
    WouldReplay { queue: String },
    /// Not replayed: it cannot succeed now.
    Refused { reason: String },
    /// Accepted, but the publish (or marking it) failed.
    Failed { reason: String },
}

/// One line of a replay report.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    pub id: Uuid,
    pub message_type: Option<String>,
    pub saga_id: Option<Uuid>,
    #[serde(flatten)]
    pub outcome: ReplayOutcome,
}

impl ReplayReport {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.outcome,
            ReplayOutcome::Replayed { .. } | ReplayOutcome::WouldReplay { .. }
        )
    }
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

/// Ids of the selected dead letters (filters and `--all`: not yet replayed).
async fn selected_ids(pool: &PgPool, selection: &Selection) -> anyhow::Result<Vec<Uuid>> {
    let mut query = QueryBuilder::<Postgres>::new("SELECT id FROM dead_letters WHERE ");
    match selection {
        Selection::One(id) => {
            return Ok(vec![*id]);
        }
        Selection::All => {
            query.push("replayed_at IS NULL");
        }
        Selection::Matching { role, code } => {
            query.push("replayed_at IS NULL");
            if let Some(role) = role {
                query.push(" AND role = ").push_bind(role.as_str());
            }
            if let Some(code) = code {
                query.push(" AND code = ").push_bind(code.clone());
            }
        }
    }
    query.push(" ORDER BY dead_lettered_at, id");
    query
        .build_query_scalar::<Uuid>()
        .fetch_all(pool)
        .await
        .context("reading the dead-letter archive")
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
    anyhow::ensure!(dry_run || publisher.is_some(), "replaying needs the broker");
    let mut reports = Vec::new();
    for id in selected_ids(pool, selection).await? {
        reports.push(replay_one(pool, vault, publisher, id, dry_run, operator).await?);
    }
    Ok(ReplaySummary { dry_run, reports })
}

/// Dead-letter codes given to a message refused for its sender or its
/// signature: replayed, it keeps the signature it came with, and is judged
/// as it was the first time.
const REFUSED_FOR_SENDER: &[&str] = &["forbidden_sender", "unsigned", "bad_signature"];

/// The replay's properties: a message refused for its sender or signature
/// keeps what it came with; any other was admitted (its first sender's
/// signature checked) before it was refused, so its first sender's
/// signature is made again over the body as it goes back (its personal
/// fields sealed afresh, a body refused for plaintext ones sealed now).
fn vouched_for(
    properties: lapin::BasicProperties,
    code: &str,
    body: &[u8],
    keys: &autobook_broker::signing::MessageKeys,
) -> lapin::BasicProperties {
    use autobook_contracts::topology::headers;
    if REFUSED_FOR_SENDER.contains(&code) {
        return properties;
    }
    let Some(sender) = autobook_broker::properties::header_text(&properties, headers::SENDER)
    else {
        return properties;
    };
    let mut table = properties.headers().clone().unwrap_or_default();
    table.insert(
        headers::SIGNATURE.into(),
        lapin::types::AMQPValue::LongString(keys.sign(&sender, body).into()),
    );
    properties.with_headers(table)
}

async fn replay_one(
    pool: &PgPool,
    vault: &Keyring,
    publisher: Option<&Publisher>,
    id: Uuid,
    dry_run: bool,
    operator: &str,
) -> anyhow::Result<ReplayReport> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT id, role, source_queue, code, message_id, saga_id, message_type, headers, content_type, \
         properties, body, replayed_at, replay_note FROM dead_letters WHERE id = $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM dead_letters WHERE id = $1)")
                .bind(id)
                .fetch_one(pool)
                .await?;
        let reason = if exists {
            "someone else is replaying it right now".to_owned()
        } else {
            format!("there is no dead letter {id}")
        };
        return Ok(ReplayReport {
            id,
            message_type: None,
            saga_id: None,
            outcome: ReplayOutcome::Refused { reason },
        });
    };
    let message_type: Option<String> = row.get("message_type");
    let saga_id: Option<Uuid> = row.get("saga_id");
    let report = |outcome| ReplayReport {
        id,
        message_type: message_type.clone(),
        saga_id,
        outcome,
    };
    let refused = |reason: String| report(ReplayOutcome::Refused { reason });
    if let Some(at) = row.get::<Option<DateTime<Utc>>, _>("replayed_at") {
        return Ok(refused(format!("already replayed at {}", time(at))));
    }
    let stored =
        match vault.open_bytes(row.get::<&[u8], _>("body"), &Place::dead_letter(id), "body") {
            Ok(body) => body.into_owned(),
            Err(e) => return Ok(refused(format!("cannot replay: {e}"))),
        };
    // What goes back on the broker has its personal fields sealed (a body
    // refused for plaintext ones is sealed now); what is judged, opened.
    let body = vault.seal_envelope(&stored).into_owned();
    let opened = match vault.open_envelope(&body) {
        Ok(opened) => opened.into_owned(),
        Err(e) => return Ok(refused(format!("cannot replay: {e}"))),
    };
    let role = match parse_role(row.get::<&str, _>("role")) {
        Ok(role) => role,
        Err(e) => return Ok(refused(format!("cannot replay: {e}"))),
    };
    let envelope = match Envelope::decode(&opened) {
        Ok(envelope) => envelope,
        Err(e) => return Ok(refused(format!("cannot replay: {e}"))),
    };
    let view = saga_view(&mut tx, vault, &envelope).await?;
    if let Err(reason) = judge(&envelope, role, &view, Utc::now()) {
        return Ok(refused(reason));
    }
    let queue: String = row.get("source_queue");
    if dry_run {
        return Ok(report(ReplayOutcome::WouldReplay { queue }));
    }
    let Some(publisher) = publisher else {
        anyhow::bail!("replaying needs the broker");
    };
    let original = original_properties(
        row.get::<Option<Value>, _>("properties").as_ref(),
        row.get("content_type"),
        row.get("message_id"),
        saga_id,
        message_type.as_deref(),
        &row.get::<Value, _>("headers"),
    );
    let properties = vouched_for(
        for_replay(&original),
        row.get::<&str, _>("code"),
        &body,
        publisher.keys(),
    );
    if let Err(error) = publisher.publish_raw("", &queue, &body, properties).await {
        return Ok(report(ReplayOutcome::Failed {
            reason: format!("could not publish (the dead letter is kept as it was): {error}"),
        }));
    }
    let note = format!("replayed to {queue} by {operator}");
    let marked =
        sqlx::query("UPDATE dead_letters SET replayed_at = now(), replay_note = $2 WHERE id = $1")
            .bind(id)
            .bind(&note)
            .execute(&mut *tx)
            .await;
    match marked {
        Ok(_) => match tx.commit().await {
            Ok(()) => Ok(report(ReplayOutcome::Replayed { queue })),
            Err(error) => Ok(report(ReplayOutcome::Failed {
                reason: format!("published, but not marked replayed: {error}"),
            })),
        },
        Err(error) => Ok(report(ReplayOutcome::Failed {
            reason: format!("published, but not marked replayed: {error}"),
        })),
    }
}

async fn saga_view(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    vault: &Keyring,
    envelope: &Envelope,
) -> anyhow::Result<SagaView> {
    let in_inbox: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM inbox WHERE message_id = $1)")
            .bind(envelope.message_id)
            .fetch_one(&mut **tx)
            .await?;
    let state: Option<Value> = sqlx::query_scalar("SELECT state FROM sagas WHERE id = $1")
        .bind(envelope.saga_id)
        .fetch_optional(&mut **tx)
        .await?;
    let saga = state.map(|state| {
        let state = vault
            .open_json(state, &Place::saga(envelope.saga_id))
            .map_err(|e| e.to_string())?;
        serde_json::from_value::<Saga>(state).map_err(|e| e.to_string())
    });
    let cause = autobook_orchestrator::store::cause_of(&mut **tx, envelope).await?;
    Ok(SagaView {
        in_inbox,
        saga,
        cause,
    })
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
    let mut query = QueryBuilder::<Postgres>::new("DELETE FROM dead_letters WHERE true");
    match selection {
        Selection::One(id) => {
            query.push(" AND id = ").push_bind(*id);
        }
        Selection::All => {}
        Selection::Matching { role, code } => {
            if let Some(role) = role {
                query.push(" AND role = ").push_bind(role.as_str());
            }
            if let Some(code) = code {
                query.push(" AND code = ").push_bind(code.clone());
            }
        }
    }
    if replayed_only {
        query.push(" AND replayed_at IS NOT NULL");
    }
    let deleted = query
        .build()
        .execute(pool)
        .await
        .context("purging the dead-letter archive")?
        .rows_affected();
    Ok(PurgeSummary { deleted })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use autobook_contracts::commands::VoidHold;
    use autobook_contracts::events::{HoldVoided, RetryRequested};
    use autobook_contracts::money::{Currency, Money};
    use autobook_contracts::topology::headers;
    use autobook_contracts::{IdempotencyKey, Step};
    use autobook_orchestrator::saga::Phase;
    use autobook_orchestrator::saga::state::{AfterRelease, Hold};

    use super::*;

    #[test]
    fn an_action_needs_exactly_one_kind_of_selector() {
        let id = Uuid::now_v7();
        assert_eq!(
            Selection::new(Some(id), None, None, false),
            Ok(Selection::One(id))
        );
        assert_eq!(
            Selection::new(None, Some(QueueRole::Payment), None, false),
            Ok(Selection::Matching {
                role: Some(QueueRole::Payment),
                code: None
            })
        );
        assert_eq!(Selection::new(None, None, None, true), Ok(Selection::All));
        assert!(Selection::new(None, None, None, false).is_err());
        assert!(Selection::new(Some(id), None, None, true).is_err());
        assert!(Selection::new(Some(id), None, Some("x".into()), false).is_err());
        assert!(Selection::new(None, Some(QueueRole::Order), None, true).is_err());
        assert_eq!(parse_role("payment"), Ok(QueueRole::Payment));
        assert!(parse_role("payments").unwrap_err().contains("orchestrator"));
    }

    fn hold() -> Hold {
        Hold {
            payment_intent_id: "pi_1".into(),
            amount: Money::new(10_000, Currency::USD),
        }
    }

    /// A saga waiting for its hold to be released; the trip comes from the
    /// trip request example of `docs/publishing.md`, so it is valid.
    fn releasing(saga_id: Uuid) -> (Saga, IdempotencyKey) {
        let key = IdempotencyKey::derive(saga_id, Step::Void, 1);
        let saga: Saga = serde_json::from_value(serde_json::json!({
            "id": saga_id,
            "trip": trip_json(),
            "epoch": 1,
            "phase": Phase::ReleasingHold { key: key.clone(), hold: hold(), then: AfterRelease::Research },
        }))
        .unwrap();
        (saga, key)
    }

    fn trip_json() -> Value {
        let departure = Utc::now().date_naive() + chrono::Days::new(40);
        serde_json::json!({
            "user_id": "usr_ops",
            "origin": "JFK",
            "destination": "LAX",
            "departure_date": departure,
            "passengers": [{
                "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
                "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+14155550100"
            }],
            "cabin_class": "economy",
            "max_price": {"amount_minor": 90000, "currency": "USD"},
            "payment": {"payment_method": "pm_card_visa"},
            "contact_email": "amelia@example.com"
        })
    }

    /// The saga's view of a message that names as its cause a command the
    /// saga sent (recorded with no key: for any step).
    fn view(saga: Option<Saga>) -> SagaView {
        SagaView {
            in_inbox: false,
            saga: saga.map(Ok),
            cause: saga::Cause::Sent { key: None },
        }
    }

    #[test]
    fn an_event_is_replayed_only_when_the_saga_accepts_it() {
        let saga_id = Uuid::now_v7();
        let (saga, key) = releasing(saga_id);
        let voided = Envelope::new(
            saga_id,
            HoldVoided {
                idempotency_key: key,
                payment_intent_id: "pi_1".into(),
            },
        );
        let now = Utc::now();
        assert_eq!(
            judge(
                &voided,
                QueueRole::Orchestrator,
                &view(Some(saga.clone())),
                now
            ),
            Ok(())
        );
        let missing = judge(&voided, QueueRole::Orchestrator, &view(None), now).unwrap_err();
        assert!(missing.contains("no saga"), "{missing}");
        for (cause, code) in [
            (saga::Cause::Missing, "unknown_cause"),
            (saga::Cause::NotOurs, "unknown_cause"),
            (
                saga::Cause::Sent {
                    key: Some(IdempotencyKey::derive(saga_id, Step::Void, 9).to_string()),
                },
                "mismatched_cause",
            ),
        ] {
            let forged = SagaView {
                cause,
                ..view(Some(saga.clone()))
            };
            let refused = judge(&voided, QueueRole::Orchestrator, &forged, now).unwrap_err();
            assert!(
                refused.starts_with(&format!("refused ({code})")),
                "{refused}"
            );
        }
        let handled = SagaView {
            in_inbox: true,
            ..view(Some(saga.clone()))
        };
        let again = judge(&voided, QueueRole::Orchestrator, &handled, now).unwrap_err();
        assert!(again.starts_with("already handled"), "{again}");
        let old_key = IdempotencyKey::derive(saga_id, Step::Void, 0);
        let stale = Envelope::new(
            saga_id,
            HoldVoided {
                idempotency_key: old_key,
                payment_intent_id: "pi_1".into(),
            },
        );
        let refused = judge(
            &stale,
            QueueRole::Orchestrator,
            &view(Some(saga.clone())),
            now,
        )
        .unwrap_err();
        assert!(refused.starts_with("stale (stale_reply)"), "{refused}");
        let retry = Envelope::new(
            saga_id,
            RetryRequested {
                operator: "ana".into(),
                reason: "r".into(),
            },
        );
        let refused = judge(&retry, QueueRole::Orchestrator, &view(Some(saga)), now).unwrap_err();
        assert!(refused.contains("illegal_transition"), "{refused}");
    }

    #[test]
    fn a_trip_request_is_replayed_only_for_a_new_valid_saga() {
        let saga_id = Uuid::now_v7();
        let trip = serde_json::from_value(trip_json()).unwrap();
        let request = Envelope::new(saga_id, Message::TripRequested(trip));
        let now = Utc::now();
        assert_eq!(
            judge(&request, QueueRole::Orchestrator, &view(None), now),
            Ok(())
        );
        let (saga, _) = releasing(saga_id);
        let exists = judge(&request, QueueRole::Orchestrator, &view(Some(saga)), now).unwrap_err();
        assert!(exists.contains("exists already"), "{exists}");
    }

    #[test]
    fn a_command_is_replayed_only_while_its_step_is_pending() {
        let saga_id = Uuid::now_v7();
        let (saga, key) = releasing(saga_id);
        let void = |key: IdempotencyKey| {
            Envelope::new(
                saga_id,
                VoidHold {
                    idempotency_key: key,
                    payment_intent_id: "pi_1".into(),
                },
            )
        };
        let now = Utc::now();
        assert_eq!(
            judge(
                &void(key),
                QueueRole::Payment,
                &view(Some(saga.clone())),
                now
            ),
            Ok(())
        );
        let old = IdempotencyKey::derive(saga_id, Step::Void, 7);
        let stale = judge(
            &void(old.clone()),
            QueueRole::Payment,
            &view(Some(saga)),
            now,
        )
        .unwrap_err();
        assert!(
            stale.starts_with("stale: the saga is releasing_hold and waits on"),
            "{stale}"
        );
        let wrong_queue = judge(&void(old), QueueRole::Order, &view(None), now).unwrap_err();
        assert!(
            wrong_queue.contains("belongs on the payment queue"),
            "{wrong_queue}"
        );
    }

    #[test]
    fn replayed_properties_are_the_original_ones_without_dead_letter_headers() {
        let message_id = Uuid::now_v7();
        let mut table = FieldTable::default();
        table.insert(headers::SCHEMA_VERSION.into(), AMQPValue::ShortUInt(1));
        table.insert(
            headers::DEAD_LETTER_CODE.into(),
            AMQPValue::LongString("unknown_saga".to_owned().into()),
        );
        let original = BasicProperties::default()
            .with_content_type(CONTENT_TYPE.into())
            .with_message_id(message_id.to_string().into())
            .with_type("payment.voided".into())
            .with_headers(table);
        let stored = serde_json::to_value(&original).unwrap();
        let restored = original_properties(Some(&stored), None, None, None, None, &Value::Null);
        assert_eq!(restored, original);
        let replayed = for_replay(&restored);
        let names: Vec<String> = replayed
            .headers()
            .as_ref()
            .unwrap()
            .inner()
            .keys()
            .map(|k| k.as_str().to_owned())
            .collect();
        assert_eq!(names, vec![headers::SCHEMA_VERSION.to_owned()]);
        assert_eq!(
            replayed
                .message_id()
                .as_ref()
                .map(|m| m.as_str().to_owned()),
            Some(message_id.to_string())
        );

        // Unreadable archived properties: rebuilt from the columns.
        let rebuilt = original_properties(
            Some(&serde_json::json!({"nonsense": true})),
            None,
            Some(message_id),
            None,
            Some("payment.voided"),
            &serde_json::json!({"traceparent": "00-abc", "x-autobook-reason": "r"}),
        );
        assert_eq!(
            rebuilt.content_type().as_ref().map(|c| c.as_str()),
            Some(CONTENT_TYPE)
        );
        assert_eq!(
            rebuilt.kind().as_ref().map(|c| c.as_str()),
            Some("payment.voided")
        );
        let kept = for_replay(&rebuilt);
        assert_eq!(kept.headers().as_ref().unwrap().inner().len(), 1);
    }
}
