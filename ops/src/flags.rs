//! `autobook ops flags`: the kill switch and the per-user booking pipeline.
//! `get` shows the decision the saga would get for a user (or for anyone
//! without an override) and the stored values behind it with who set them;
//! `set` changes one value, audited with who and why. Readers see a change
//! within a second (LISTEN/NOTIFY).
//!
//! With `AUTOBOOK_FLAGS=launchdarkly` the flags live in LaunchDarkly: `get`
//! evaluates them there for a user, and `set` refuses.

use std::fmt::Write as _;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use sqlx::PgPool;

use autobook_contracts::codes::UserId;
use autobook_flags::postgres::{self, Change, ChangeNote, RawValues};
use autobook_flags::{FlagDecision, FlagSource, ProviderKind};

use super::output::{Render, one_line, table, time, truncate};
use autobook_roles::settings::FlagSettings;

/// Changes shown by `get`.
const HISTORY_SHOWN: i64 = 10;

#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// The decision for a user (default: anyone without an override), the
    /// stored values and the latest changes.
    Get {
        /// The user id.
        #[arg(long, value_parser = user_arg)]
        user: Option<UserId>,
    },
    /// Change the kill switch or the booking pipeline.
    #[command(subcommand)]
    Set(SetCommand),
}

#[derive(Debug, Subcommand)]
pub enum SetCommand {
    /// Throw (on: no money moves for anyone) or release (off) the kill switch.
    KillSwitch {
        #[arg(value_enum)]
        state: Switch,
        #[command(flatten)]
        note: NoteArgs,
    },
    /// The automatic booking pipeline for everyone, or for one user;
    /// `default` removes a user's override.
    Pipeline {
        #[arg(value_enum)]
        state: PipelineState,
        /// Only this user (an override of the global default).
        #[arg(long, value_parser = user_arg)]
        user: Option<UserId>,
        #[command(flatten)]
        note: NoteArgs,
    },
}

/// Who and why: both kept in the flag audit.
#[derive(Debug, Args)]
pub struct NoteArgs {
    /// Who makes the change.
    #[arg(long)]
    pub by: String,
    /// Why.
    #[arg(long)]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PipelineState {
    On,
    Off,
    /// Remove the user's override: the global default applies.
    Default,
}

fn user_arg(text: &str) -> Result<UserId, String> {
    UserId::parse(text).map_err(|e| e.to_string())
}

/// Runs one `ops flags` command.
pub async fn dispatch(
    pool: &PgPool,
    command: &FlagsCommand,
    settings: &FlagSettings,
    json: bool,
) -> anyhow::Result<()> {
    let provider = settings.flag_provider;
    match (command, provider) {
        (FlagsCommand::Get { user }, ProviderKind::Postgres) => {
            super::output::emit(&get(pool, user.as_ref()).await?, json)
        }
        (FlagsCommand::Get { user }, ProviderKind::Launchdarkly) => {
            let Some(user) = user else {
                anyhow::bail!("with AUTOBOOK_FLAGS=launchdarkly, say which user (--user)");
            };
            let source = autobook_flags::open(&settings.config()?, pool).await?;
            super::output::emit(&evaluated(source.as_ref(), user), json)
        }
        (FlagsCommand::Set(_), ProviderKind::Launchdarkly) => anyhow::bail!(
            "the flags come from LaunchDarkly (AUTOBOOK_FLAGS=launchdarkly): change them there"
        ),
        (FlagsCommand::Set(set), ProviderKind::Postgres) => {
            super::output::emit(&change(pool, set).await?, json)
        }
    }
}

/// What `get` prints.
#[derive(Debug, Clone, Serialize)]
pub struct FlagsReport {
    pub provider: &'static str,
    /// The user asked about; `None`: anyone without an override.
    pub user_id: Option<String>,
    #[serde(flatten)]
    pub decision: FlagDecision,
    pub money_may_move: bool,
    /// The stored values (PostgreSQL only).
    pub values: Option<RawValues>,
    /// The latest changes, newest first: global ones and the user's.
    pub history: Vec<Change>,
}

/// The decision and stored values from the tables themselves (no cache).
pub async fn get(pool: &PgPool, user: Option<&UserId>) -> anyhow::Result<FlagsReport> {
    let user_id = user.map(UserId::as_str);
    let values = postgres::read_values(pool, user_id).await?;
    let history = postgres::history(pool, user_id, HISTORY_SHOWN).await?;
    let decision = values.decision();
    Ok(FlagsReport {
        provider: ProviderKind::Postgres.as_str(),
        user_id: user_id.map(str::to_owned),
        decision,
        money_may_move: decision.money_may_move(),
        values: Some(values),
        history,
    })
}

/// The fail-closed decision of a running provider for `user`.
pub fn evaluated(source: &dyn FlagSource, user: &UserId) -> FlagsReport {
    let decision = source.decide(user.as_str());
    FlagsReport {
        provider: source.provider(),
        user_id: Some(user.as_str().to_owned()),
        decision,
        money_may_move: decision.money_may_move(),
        values: None,
        history: Vec::new(),
    }
}

/// What `set` prints: the change made, or why nothing changed.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeReport {
    pub changed: bool,
    pub change: Option<Change>,
    pub note: Option<String>,
}

/// Makes the change `set` asks for.
pub async fn change(pool: &PgPool, set: &SetCommand) -> anyhow::Result<ChangeReport> {
    let made = |change: Change| ChangeReport {
        changed: true,
        change: Some(change),
        note: None,
    };
    match set {
        SetCommand::KillSwitch { state, note } => {
            let note = ChangeNote::new(&note.by, &note.reason)?;
            let on = *state == Switch::On;
            Ok(made(postgres::set_kill_switch(pool, on, &note).await?))
        }
        SetCommand::Pipeline { state, user, note } => {
            let note = ChangeNote::new(&note.by, &note.reason)?;
            match (state, user) {
                (PipelineState::Default, None) => {
                    anyhow::bail!("`default` removes one user's override: say which user (--user)")
                }
                (PipelineState::Default, Some(user)) => {
                    match postgres::clear_pipeline_override(pool, user, &note).await? {
                        Some(change) => Ok(made(change)),
                        None => Ok(ChangeReport {
                            changed: false,
                            change: None,
                            note: Some(format!("{user} has no pipeline override")),
                        }),
                    }
                }
                (PipelineState::On | PipelineState::Off, user) => {
                    let on = *state == PipelineState::On;
                    Ok(made(
                        postgres::set_pipeline(pool, user.as_ref(), on, &note).await?,
                    ))
                }
            }
        }
    }
}

fn on_off(value: Option<bool>, absent: &str) -> String {
    match value {
        Some(true) => "on".to_owned(),
        Some(false) => "off".to_owned(),
        None => absent.to_owned(),
    }
}

fn scope(user_id: Option<&str>) -> String {
    user_id.unwrap_or("everyone").to_owned()
}

fn decision_text(decision: FlagDecision) -> String {
    match decision {
        FlagDecision::Allowed => "allowed: money may move".to_owned(),
        FlagDecision::Denied(reason) => format!("denied: {reason}"),
    }
}

impl Render for FlagsReport {
    fn render(&self) -> String {
        let mut out = String::new();
        let who = self
            .user_id
            .as_deref()
            .map_or("anyone without an override".to_owned(), |u| {
                format!("user {u}")
            });
        let _ = writeln!(out, "decision  {} ({who})", decision_text(self.decision));
        let _ = write!(out, "provider  {}", self.provider);
        if let Some(values) = &self.values {
            let _ = write!(out, ", version {}", values.version);
        }
        out.push('\n');
        if let Some(values) = &self.values {
            let mut rows = vec![
                value_row(postgres::KILL_SWITCH, None, &values.kill_switch),
                value_row(postgres::PIPELINE, None, &values.pipeline_default),
            ];
            if let Some(user_override) = &values.pipeline_override {
                rows.push(value_row(
                    postgres::PIPELINE,
                    Some(&user_override.user_id),
                    &user_override.value,
                ));
            }
            out.push('\n');
            out.push_str(&table(
                &["FLAG", "FOR", "VALUE", "SET AT", "BY", "REASON"],
                &rows,
            ));
        }
        if !self.history.is_empty() {
            out.push_str("\nlatest changes\n");
            let rows: Vec<Vec<String>> = self.history.iter().map(change_row).collect();
            out.push_str(&table(
                &["AT", "FLAG", "FOR", "CHANGE", "BY", "REASON"],
                &rows,
            ));
        }
        out
    }
}

fn value_row(flag: &str, user_id: Option<&str>, value: &postgres::StoredValue) -> Vec<String> {
    vec![
        flag.to_owned(),
        scope(user_id),
        on_off(Some(value.enabled), ""),
        time(value.updated_at),
        one_line(&value.updated_by),
        truncate(&one_line(&value.reason), 80),
    ]
}

fn change_row(change: &Change) -> Vec<String> {
    vec![
        time(change.changed_at),
        change.flag.clone(),
        scope(change.user_id.as_deref()),
        change_text(change),
        one_line(&change.changed_by),
        truncate(&one_line(&change.reason), 80),
    ]
}

fn change_text(change: &Change) -> String {
    format!(
        "{} -> {}",
        on_off(change.old_enabled, "(none)"),
        on_off(change.new_enabled, "(default)")
    )
}

impl Render for ChangeReport {
    fn render(&self) -> String {
        match &self.change {
            Some(change) => format!(
                "{} for {}: {}, by {} at {} ({})\n",
                change.flag,
                scope(change.user_id.as_deref()),
                change_text(change),
                one_line(&change.changed_by),
                time(change.changed_at),
                one_line(&change.reason)
            ),
            None => format!(
                "nothing changed: {}\n",
                self.note.as_deref().unwrap_or("no change")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use autobook_flags::DenyReason;

    fn change(old: Option<bool>, new: Option<bool>, user: Option<&str>) -> Change {
        Change {
            audit_id: 1,
            flag: postgres::PIPELINE.to_owned(),
            user_id: user.map(str::to_owned),
            old_enabled: old,
            new_enabled: new,
            changed_by: "ana".to_owned(),
            reason: "opted\nout".to_owned(),
            changed_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap(),
        }
    }

    #[test]
    fn changes_read_as_old_to_new_on_one_line() {
        let report = ChangeReport {
            changed: true,
            change: Some(change(None, Some(false), Some("usr_1"))),
            note: None,
        };
        assert_eq!(
            report.render(),
            "auto_booking_pipeline_enabled for usr_1: (none) -> off, by ana at \
             2026-11-24T09:30:00.000Z (opted out)\n"
        );
        assert_eq!(
            change_text(&change(Some(true), None, Some("usr_1"))),
            "on -> (default)"
        );
    }

    #[test]
    fn a_report_shows_the_decision_and_its_json_is_flat() {
        let report = FlagsReport {
            provider: "launchdarkly",
            user_id: Some("usr_1".to_owned()),
            decision: FlagDecision::Denied(DenyReason::Unavailable),
            money_may_move: false,
            values: None,
            history: Vec::new(),
        };
        assert_eq!(
            report.render(),
            "decision  denied: unavailable (user usr_1)\nprovider  launchdarkly\n"
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["decision"], "denied");
        assert_eq!(json["reason"], "unavailable");
        assert_eq!(json["money_may_move"], false);
    }
}
