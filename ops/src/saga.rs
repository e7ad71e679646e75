//! `autobook ops saga`: show one saga (phase, history, pending effects),
//! list sagas by status, and retry, abort or cancel a stuck one.
//!
//! The saga's tables are read through the orchestrator's
//! [`admin`](autobook_orchestrator::admin) functions and the provider
//! calls through the workers' [`admin`](autobook_workers::admin); a
//! request is applied by
//! [`admin::requests`](autobook_orchestrator::admin::requests) (through
//! the executor, with who asked and why in the audit trail). Here are the
//! arguments and the rendering.

mod details;
mod report;

use anyhow::Context;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_orchestrator::admin::{dead_letters, requests, sagas};
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::store::load_saga;
use autobook_vault::Keyring;
use autobook_workers::admin as ledger;

use super::output::{Render, one_line, table, time, truncate};

pub use autobook_orchestrator::admin::requests::{
    OperatorAction, Refusal, RequestResult, audit_note, precheck,
};
pub use autobook_orchestrator::admin::sagas::{PendingMessage, PendingTimer, SagaSummary};
pub use autobook_workers::admin::ProviderCall;
pub use details::{Detail, effect_text, phase_details};
pub use report::{HistoryEntry, Pending, SagaReport};

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
    let sagas = sagas::list_by_status(pool, status, limit)
        .await
        .context("reading sagas")?;
    Ok(SagaList {
        status: status.to_owned(),
        sagas,
    })
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
    let history = sagas::history(pool, id)
        .await
        .context("reading the audit trail")?
        .into_iter()
        .map(HistoryEntry::from)
        .collect();
    let pending = Pending {
        outbox: sagas::unpublished(pool, id).await?,
        timers: sagas::unfired_timers(pool, id).await?,
        provider_calls: ledger::calls_of_saga(pool, id).await?,
        dead_letters: dead_letters::unreplayed_of_saga(pool, id).await?,
    };
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
        pending,
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

/// Applies an operator's retry, abort or cancel to a saga. Refused (not
/// an error) when there is no such saga or the saga does not accept it.
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
    let result = requests::request(pool, vault, saga_id, action, &operator, &reason).await?;
    Ok(RequestOutcome {
        saga_id,
        action,
        operator,
        reason,
        result,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

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
}
