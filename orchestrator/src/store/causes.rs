//! The commands each saga sent (`saga_commands`), and the look-up of the
//! command a worker's reply names as its cause.
//!
//! Every command the executor puts in the outbox is recorded here in the
//! same transaction, with the idempotency key of its step. The record is
//! the orchestrator's own: outbox rows are pruned once published, these
//! stay as long as their saga.

use sqlx::{PgExecutor, Postgres, Transaction};

use autobook_contracts::{Envelope, MessageKind};

use super::StoreError;
use crate::saga::Cause;

type Tx<'a> = Transaction<'a, Postgres>;

/// Records `command` as sent by its saga; anything that is not a command
/// (an event the saga addresses to itself) is not recorded.
pub(super) async fn record_sent(tx: &mut Tx<'_>, command: &Envelope) -> Result<(), StoreError> {
    let message_type = command.message_type();
    match message_type.kind() {
        MessageKind::Command => {}
        MessageKind::Event => return Ok(()),
    }
    sqlx::query(
        "INSERT INTO saga_commands (message_id, saga_id, idempotency_key, message_type) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(command.message_id)
    .bind(command.saga_id)
    .bind(command.message.idempotency_key().map(|key| key.as_str()))
    .bind(message_type.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What the saga's records say about the message `reply` names as its
/// cause (judged by [`crate::saga::causation::check`]).
pub async fn cause_of<'e>(
    executor: impl PgExecutor<'e>,
    reply: &Envelope,
) -> Result<Cause, StoreError> {
    let Some(cause) = reply.causation_id else {
        return Ok(Cause::Missing);
    };
    let sent: Option<Option<String>> = sqlx::query_scalar(
        "SELECT idempotency_key FROM saga_commands WHERE message_id = $1 AND saga_id = $2",
    )
    .bind(cause)
    .bind(reply.saga_id)
    .fetch_optional(executor)
    .await?;
    Ok(match sent {
        None => Cause::NotOurs,
        Some(key) => Cause::Sent { key },
    })
}
