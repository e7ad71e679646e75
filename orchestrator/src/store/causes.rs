//! The commands each saga sent (`saga_commands`), and the look-up of the
//! command a worker's reply names as its cause.
//!
//! Every command the executor puts in the outbox is recorded there in the
//! same statement ([`super::step::write`]), with the idempotency key of its
//! step. The record is
//! the orchestrator's own: outbox rows are pruned once published, these
//! stay as long as their saga.

use sqlx::PgExecutor;
use uuid::Uuid;

use autobook_contracts::Envelope;

use super::StoreError;
use crate::saga::Cause;

/// What the saga's records say about the message `reply` names as its
/// cause (judged by [`crate::saga::causation::check`]).
pub async fn cause_of<'e>(
    executor: impl PgExecutor<'e>,
    reply: &Envelope,
) -> Result<Cause, StoreError> {
    let Some(cause) = reply.causation_id else {
        return Ok(Cause::Missing);
    };
    let sent = sqlx::query_scalar(
        "SELECT idempotency_key FROM saga_commands WHERE message_id = $1 AND saga_id = $2",
    )
    .bind(cause)
    .bind(reply.saga_id)
    .fetch_optional(executor)
    .await?;
    Ok(judged(Some(cause), sent))
}

/// What a cause is, from the record of it: `causation_id` as the reply
/// names it, `record` the idempotency key of the command found under that
/// id for the saga (None: no such command).
pub(super) fn judged(causation_id: Option<Uuid>, record: Option<Option<String>>) -> Cause {
    match (causation_id, record) {
        (None, _) => Cause::Missing,
        (Some(_), None) => Cause::NotOurs,
        (Some(_), Some(key)) => Cause::Sent { key },
    }
}
