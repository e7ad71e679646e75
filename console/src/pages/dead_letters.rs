//! `GET /dead-letters`: the dead-letter archive, by queue and code; one
//! dead letter's reason and headers (its body, which may hold personal
//! data, only for a supervisor who asks, recorded). Actions, as `autobook
//! ops dlq`: a dry-run replay, a replay (judged against its saga first:
//! a stale replay is refused), and a purge that must be confirmed.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use autobook_contracts::QueueRole;
use autobook_ops::dlq;
use autobook_orchestrator::admin::dead_letters::{DeadLetterSummary, Filter, Selection};
use autobook_orchestrator::admin::replay::ReplayOutcome;

use crate::actions::{self, Outcome};
use crate::auth::Person;
use crate::extract::{Fields, Id, QueryOf};
use crate::page::{Chrome, PageError, after_action, render, time};
use crate::pages::Done;
use crate::pages::{Fact, fact};
use crate::state::Shared;

/// Dead letters listed at most.
const SHOWN: i64 = 200;
const ROLES: [QueueRole; 5] = [
    QueueRole::Orchestrator,
    QueueRole::Search,
    QueueRole::Payment,
    QueueRole::Order,
    QueueRole::Notify,
];

pub struct Letter {
    pub id: String,
    pub queue: String,
    pub code: String,
    pub reason: String,
    pub message_type: String,
    pub saga: String,
    pub at: String,
    pub replayed: String,
}

impl From<&DeadLetterSummary> for Letter {
    fn from(d: &DeadLetterSummary) -> Letter {
        Letter {
            id: d.id.to_string(),
            queue: d.role.clone(),
            code: d.code.clone(),
            reason: d.reason.clone(),
            message_type: d.message_type.clone().unwrap_or_else(|| "–".to_owned()),
            saga: d.saga_id.map(|s| s.to_string()).unwrap_or_default(),
            at: time(d.dead_lettered_at),
            replayed: match (&d.replayed_at, &d.replay_note) {
                (Some(at), note) => format!("{} {}", time(*at), note.clone().unwrap_or_default()),
                (None, _) => "no".to_owned(),
            },
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub queue: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub all: String,
    pub done: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "dead_letters.html")]
struct ListPage {
    chrome: Chrome,
    params: ListParams,
    queues: Vec<&'static str>,
    letters: Vec<Letter>,
    limit: i64,
}

impl ListPage {
    fn selected(&self, queue: &str) -> bool {
        self.params.queue == queue
    }
}

/// `GET /dead-letters`.
pub async fn list(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<ListParams>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "dead-letters", params.done).await?;
    let role = match params.queue.as_str() {
        "" => None,
        name => Some(dlq::parse_role(name).map_err(|_| {
            PageError::bad_request("queue: orchestrator, search, payment, order or notify")
        })?),
    };
    let code = params.code.trim();
    if code.chars().count() > 200 || code.chars().any(char::is_control) {
        return Err(PageError::bad_request(
            "code: one line of at most 200 characters",
        ));
    }
    let filter = Filter {
        role,
        code: (!code.is_empty()).then(|| code.to_owned()),
        include_replayed: params.all == "yes",
        limit: SHOWN,
    };
    let found = dlq::list(&console.pool, &filter).await?;
    render(&ListPage {
        chrome,
        queues: ROLES.iter().map(|r| r.as_str()).collect(),
        letters: found.dead_letters.iter().map(Letter::from).collect(),
        limit: SHOWN,
        params,
    })
}

#[derive(Template)]
#[template(path = "dead_letter.html")]
struct ShowPage {
    chrome: Chrome,
    id: String,
    replayed: bool,
    facts: Vec<Fact>,
    headers: Vec<Fact>,
    body: Option<String>,
    body_bytes: usize,
}

async fn show_page(
    console: &Shared,
    person: &Person,
    id: Uuid,
    done: Option<Uuid>,
    reveal: bool,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(console, person, "dead-letters", done).await?;
    let Some(detail) = dlq::show(&console.pool, &console.vault, id).await? else {
        return Err(PageError::not_found(
            "there is no dead letter with this id (purged?)",
        ));
    };
    let s = &detail.summary;
    let letter = Letter::from(s);
    let facts = vec![
        fact("code", letter.code.clone()),
        fact("reason", letter.reason.clone()),
        fact("from queue", format!("{} ({})", s.source_queue, s.role)),
        fact("attempts", s.attempts.to_string()),
        fact("dead-lettered", letter.at.clone()),
        fact("archived", time(detail.archived_at)),
        fact(
            "message",
            format!(
                "{} {}",
                letter.message_type,
                s.message_id.map(|m| m.to_string()).unwrap_or_default()
            ),
        ),
        fact("saga", letter.saga.clone()),
        fact("replayed", letter.replayed.clone()),
        fact(
            "content type",
            detail
                .content_type
                .clone()
                .unwrap_or_else(|| "–".to_owned()),
        ),
    ];
    render(&ShowPage {
        chrome,
        id: id.to_string(),
        replayed: s.replayed_at.is_some(),
        facts,
        headers: detail
            .headers
            .iter()
            .map(|(k, v)| fact(k, v.clone()))
            .collect(),
        body: reveal.then(|| detail.body.clone()),
        body_bytes: detail.body_bytes,
    })
}

/// `GET /dead-letters/{id}`.
pub async fn show(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    QueryOf(params): QueryOf<Done>,
) -> Result<Response, PageError> {
    show_page(&console, &person, id, params.done, false).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub csrf: String,
    pub action_id: Uuid,
    #[serde(default)]
    pub reason: String,
    /// replay: `dry-run` or `replay`.
    #[serde(default)]
    pub mode: String,
    /// purge: `yes` once confirmed.
    #[serde(default)]
    pub confirm: String,
}

fn reason_of(form: &ActionForm) -> Result<String, PageError> {
    autobook_ops::saga::check_reason(&form.reason)
        .map_err(|_| PageError::bad_request("reason: say why"))
}

/// `POST /dead-letters/{id}/replay`: a dry run or a replay.
pub async fn replay(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    Fields(form): Fields<ActionForm>,
) -> Result<Response, PageError> {
    person.may_act(&console, &form.csrf)?;
    let dry_run = match form.mode.as_str() {
        "dry-run" => true,
        "replay" => false,
        _ => return Err(PageError::bad_request("mode: dry-run or replay")),
    };
    let reason = reason_of(&form)?;
    let name = if dry_run {
        "dead_letter.dry_run"
    } else {
        "dead_letter.replay"
    };
    let target = format!("dead_letter:{id}");
    let to = format!("/dead-letters/{id}");
    let record = person.request(form.action_id, name, &target, &reason);
    actions::once(&console.pool, &record, || async {
        if !dry_run && console.publisher.is_none() {
            return Outcome::refused("replay refused: the console has no broker connection");
        }
        let operator = format!("{} ({reason})", person.user);
        match dlq::replay(
            &console.pool,
            &console.vault,
            console.publisher.as_ref(),
            &Selection::One(id),
            dry_run,
            &operator,
        )
        .await
        {
            Ok(summary) => match summary.reports.first().map(|r| &r.outcome) {
                Some(ReplayOutcome::Replayed { queue }) => {
                    Outcome::ok(format!("replayed to {queue}"))
                }
                Some(ReplayOutcome::WouldReplay { queue }) => {
                    Outcome::ok(format!("dry run: it would go back to {queue}"))
                }
                Some(ReplayOutcome::Refused { reason }) => {
                    Outcome::refused(format!("replay refused: {reason}"))
                }
                Some(ReplayOutcome::Failed { reason }) => {
                    Outcome::refused(format!("replay failed: {reason}"))
                }
                None => Outcome::refused(
                    "nothing to replay: the dead letter was replayed or purged already",
                ),
            },
            Err(error) => Outcome::refused(format!("replay failed: {error:#}")),
        }
    })
    .await?;
    Ok(after_action(&to, form.action_id))
}

/// `POST /dead-letters/{id}/purge`: deletes it from the archive, once
/// confirmed.
pub async fn purge(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    Fields(form): Fields<ActionForm>,
) -> Result<Response, PageError> {
    person.may_act(&console, &form.csrf)?;
    if form.confirm != "yes" {
        return Err(PageError::bad_request(
            "confirm: tick the box to confirm the purge",
        ));
    }
    let reason = reason_of(&form)?;
    let target = format!("dead_letter:{id}");
    let record = person.request(form.action_id, "dead_letter.purge", &target, &reason);
    actions::once(&console.pool, &record, || async {
        match dlq::purge(&console.pool, &Selection::One(id), false).await {
            Ok(summary) if summary.deleted == 1 => Outcome::ok(format!("dead letter {id} purged")),
            Ok(_) => Outcome::refused(format!("dead letter {id} was not in the archive")),
            Err(error) => Outcome::refused(format!("purge failed: {error:#}")),
        }
    })
    .await?;
    Ok(after_action("/dead-letters", form.action_id))
}

/// `POST /dead-letters/{id}/reveal`: the body, for a supervisor, recorded.
pub async fn reveal(
    State(console): State<Shared>,
    person: Person,
    Id(id): Id,
    Fields(form): Fields<ActionForm>,
) -> Result<Response, PageError> {
    person.may_reveal(&console, &form.csrf)?;
    let reason = reason_of(&form)?;
    let target = format!("dead_letter:{id}");
    let record = person.request(form.action_id, "dead_letter.reveal_body", &target, &reason);
    actions::once(&console.pool, &record, || async {
        Outcome::ok(format!("body shown to {}", person.user))
    })
    .await?;
    show_page(&console, &person, id, Some(form.action_id), true).await
}
