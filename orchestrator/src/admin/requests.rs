//! An operator's retry, abort or cancel of one saga.
//!
//! The request goes through the executor like any event: an envelope with
//! `saga.retry_requested`, `saga.abort_requested` or
//! `trip.cancel_requested` is applied with [`SagaStore::handle`] (inbox,
//! optimistic version, audit row, outbox), and the relay publishes whatever
//! command results. Who asked and why is written into `saga_audit.note` of
//! the new audit row (found by the envelope's message id) right after it
//! commits, so the saga's history lists it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::events::{AbortRequested, RetryRequested, TripCancelRequested};
use autobook_contracts::{Envelope, Message};
use autobook_vault::Keyring;

use super::sagas::record_note;
use crate::saga::{self, Policy, Saga};
use crate::store::{Handled, SagaStore, StoreError, load_saga};

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

/// What goes into `saga_audit.note` for an operator's transition.
pub fn audit_note(operator: &str, reason: &str) -> String {
    format!("{operator}: {reason}")
}

/// Why a request was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub code: String,
    pub reason: String,
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

/// What became of a request.
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

/// Why a request could not be carried out or recorded.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("reading the saga")]
    Read(#[source] StoreError),
    #[error("applying the request")]
    Apply(#[source] StoreError),
    #[error("recording the operator's note in the audit trail")]
    Note(#[source] sqlx::Error),
    #[error("the audit row of the request is missing")]
    NoteLost,
}

/// Applies an operator's (already checked) request to a saga. Refused,
/// not an error, when there is no such saga or the saga does not accept it.
pub async fn request(
    pool: &PgPool,
    vault: &Keyring,
    saga_id: Uuid,
    action: OperatorAction,
    operator: &str,
    reason: &str,
) -> Result<RequestResult, RequestError> {
    let now = Utc::now();
    let message = action.message(operator, reason);
    let Some(row) = load_saga(pool, vault, saga_id)
        .await
        .map_err(RequestError::Read)?
    else {
        return Ok(RequestResult::Refused(Refusal {
            code: "unknown_saga".into(),
            reason: format!("there is no saga {saga_id}"),
        }));
    };
    if let Err(refusal) = precheck(&row.saga, &message, now) {
        return Ok(RequestResult::Refused(refusal));
    }
    let envelope = Envelope::new(saga_id, message);
    let handled = SagaStore::new(pool.clone(), Policy::default(), vault.clone())
        .handle(&envelope, now)
        .await
        .map_err(RequestError::Apply)?;
    let refused = |code: &str, reason: String| {
        RequestResult::Refused(Refusal {
            code: code.to_owned(),
            reason,
        })
    };
    Ok(match handled {
        Handled::Applied { from, to } => {
            let note = audit_note(operator, reason);
            let version = record_note(pool, envelope.saga_id, envelope.message_id, &note)
                .await
                .map_err(RequestError::Note)?
                .ok_or(RequestError::NoteLost)?;
            RequestResult::Applied {
                from: from.unwrap_or("new").to_owned(),
                to: to.to_owned(),
                version,
            }
        }
        Handled::Rejected { code, reason } => refused(code, reason),
        Handled::NotYet { reason } => refused("unknown_saga", reason),
        Handled::Ignored { code, reason } => refused(code, reason),
        Handled::Duplicate => refused("duplicate", "this request was applied before".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
