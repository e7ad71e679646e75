//! `GET /flags`: the kill switch and the booking pipeline (for everyone,
//! and for one traveller), with their latest changes. `POST
//! /flags/kill-switch` and `POST /flags/pipeline` change them with a
//! reason, as `autobook ops flags set` does (the flag audit records who
//! and why; the console's record too).

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_flags::FlagDecision;
use autobook_ops::flags::{self as ops_flags, NoteArgs, PipelineState, SetCommand, Switch};

use crate::actions::{self, Outcome};
use crate::auth::Person;
use crate::extract::{Fields, QueryOf};
use crate::page::{Chrome, PageError, after_action, render, time};
use crate::pages::{Fact, fact};
use crate::state::Shared;

pub struct ChangeRow {
    pub at: String,
    pub flag: String,
    pub scope: String,
    pub change: String,
    pub by: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "flags.html")]
struct FlagsPage {
    chrome: Chrome,
    editable: bool,
    kill_switch_on: bool,
    decision: String,
    values: Vec<Fact>,
    user: String,
    history: Vec<ChangeRow>,
}

#[derive(Deserialize)]
pub struct Params {
    #[serde(default)]
    user: String,
    done: Option<Uuid>,
}

fn on_off(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "on",
        Some(false) => "off",
        None => "none",
    }
}

fn parse_user(text: &str) -> Result<Option<UserId>, PageError> {
    match text.trim() {
        "" => Ok(None),
        text => UserId::parse(text)
            .map(Some)
            .map_err(|_| PageError::bad_request("traveller: not a valid user id")),
    }
}

/// `GET /flags`.
pub async fn page(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<Params>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "flags", params.done).await?;
    let user = parse_user(&params.user)?;
    let report = ops_flags::get(&console.pool, user.as_ref()).await?;
    let mut values = Vec::new();
    if let Some(raw) = &report.values {
        let stored = |name: &str, v: &autobook_flags::postgres::StoredValue| {
            fact(
                name,
                format!(
                    "{} (set {} by {}: {})",
                    if v.enabled { "on" } else { "off" },
                    time(v.updated_at),
                    v.updated_by,
                    v.reason
                ),
            )
        };
        values.push(stored("kill switch", &raw.kill_switch));
        values.push(stored(
            "booking pipeline, for everyone",
            &raw.pipeline_default,
        ));
        if let Some(o) = &raw.pipeline_override {
            values.push(stored(
                "booking pipeline, this traveller's override",
                &o.value,
            ));
        }
    }
    let decision = match report.decision {
        FlagDecision::Allowed => "allowed: money may move".to_owned(),
        FlagDecision::Denied(reason) => format!("denied: {reason}"),
    };
    render(&FlagsPage {
        chrome,
        editable: console.flags_in_postgres,
        kill_switch_on: report
            .values
            .as_ref()
            .is_some_and(|v| v.kill_switch.enabled),
        decision,
        values,
        user: params.user.trim().to_owned(),
        history: report
            .history
            .iter()
            .map(|c| ChangeRow {
                at: time(c.changed_at),
                flag: c.flag.clone(),
                scope: c.user_id.clone().unwrap_or_else(|| "everyone".to_owned()),
                change: format!("{} → {}", on_off(c.old_enabled), on_off(c.new_enabled)),
                by: c.changed_by.clone(),
                reason: c.reason.clone(),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    action_id: Uuid,
    #[serde(default)]
    state: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    reason: String,
}

async fn change(
    console: &Shared,
    person: &Person,
    form: &ChangeForm,
    name: &str,
    set: SetCommand,
    to: &str,
) -> Result<Response, PageError> {
    let record = person.request(form.action_id, name, "flags", form.reason.trim());
    actions::once(&console.pool, &record, || async {
        match ops_flags::change(&console.pool, &set).await {
            Ok(report) => match (report.changed, report.change, report.note) {
                (true, Some(c), _) => Outcome::ok(format!(
                    "{} for {}: {} → {} (by {})",
                    c.flag,
                    c.user_id.unwrap_or_else(|| "everyone".to_owned()),
                    on_off(c.old_enabled),
                    on_off(c.new_enabled),
                    c.changed_by
                )),
                (_, _, note) => {
                    Outcome::refused(note.unwrap_or_else(|| "nothing changed".to_owned()))
                }
            },
            Err(error) => Outcome::refused(format!("not changed: {error:#}")),
        }
    })
    .await?;
    Ok(after_action(to, form.action_id))
}

fn checked(console: &Shared, person: &Person, form: &ChangeForm) -> Result<NoteArgs, PageError> {
    person.may_act(console, &form.csrf)?;
    if !console.flags_in_postgres {
        return Err(PageError::bad_request(
            "the flags come from LaunchDarkly (AUTOBOOK_FLAGS=launchdarkly): change them there",
        ));
    }
    if form.reason.trim().is_empty() {
        return Err(PageError::bad_request(
            "reason: say why (it is kept in the flag audit)",
        ));
    }
    Ok(NoteArgs {
        by: person.user.clone(),
        reason: form.reason.trim().to_owned(),
    })
}

/// `POST /flags/kill-switch`: `state` on (no money moves) or off.
pub async fn kill_switch(
    State(console): State<Shared>,
    person: Person,
    Fields(form): Fields<ChangeForm>,
) -> Result<Response, PageError> {
    let note = checked(&console, &person, &form)?;
    let state = match form.state.as_str() {
        "on" => Switch::On,
        "off" => Switch::Off,
        _ => return Err(PageError::bad_request("state: on or off")),
    };
    change(
        &console,
        &person,
        &form,
        "flags.kill_switch",
        SetCommand::KillSwitch { state, note },
        "/flags",
    )
    .await
}

/// `POST /flags/pipeline`: `state` on, off or default, for everyone or
/// one traveller.
pub async fn pipeline(
    State(console): State<Shared>,
    person: Person,
    Fields(form): Fields<ChangeForm>,
) -> Result<Response, PageError> {
    let note = checked(&console, &person, &form)?;
    let state = match form.state.as_str() {
        "on" => PipelineState::On,
        "off" => PipelineState::Off,
        "default" => PipelineState::Default,
        _ => return Err(PageError::bad_request("state: on, off or default")),
    };
    let user = parse_user(&form.user)?;
    let to = match &user {
        Some(user) => format!("/flags?user={}", crate::pages::sagas::encode(user.as_str())),
        None => "/flags".to_owned(),
    };
    change(
        &console,
        &person,
        &form,
        "flags.pipeline",
        SetCommand::Pipeline { state, user, note },
        &to,
    )
    .await
}
