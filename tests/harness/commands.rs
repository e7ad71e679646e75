//! The commands a saga sent, read back from the outbox (opened with the
//! data keys), for tests that answer one as its worker would: the answer
//! names the command as its cause, or the orchestrator refuses it.

use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::{Envelope, Message, MessageKind};
use autobook_orchestrator::testing::outbox;
use autobook_vault::{Keyring, Place};

use crate::TestSystem;

/// The commands `saga_id` sent, oldest first.
pub async fn sent(pool: &PgPool, vault: &Keyring, saga_id: Uuid) -> Vec<Envelope> {
    let rows = outbox::of_saga(pool, saga_id).await.unwrap();
    rows.iter()
        .map(|row| {
            let place = Place::outbox(row.message_id);
            let body = vault.open_bytes(&row.body, &place, "body").unwrap();
            Envelope::decode(&body).unwrap()
        })
        .filter(|envelope| envelope.message_type().kind() == MessageKind::Command)
        .collect()
}

/// `reply` as a worker would publish it in answer to the last command
/// `saga_id` sent for the reply's step (its idempotency key).
pub async fn answer(
    pool: &PgPool,
    vault: &Keyring,
    saga_id: Uuid,
    reply: impl Into<Message>,
) -> Envelope {
    let reply = reply.into();
    let command = sent(pool, vault, saga_id)
        .await
        .into_iter()
        .rev()
        .find(|command| command.message.idempotency_key() == reply.idempotency_key())
        .unwrap_or_else(|| panic!("saga {saga_id} sent no command for this reply's step"));
    Envelope::caused_by(&command, reply)
}

impl TestSystem {
    /// The commands the saga sent, oldest first.
    pub async fn commands(&self, saga_id: Uuid) -> Vec<Envelope> {
        sent(&self.stack().pool, &self.stack().vault, saga_id).await
    }

    /// `reply` as a worker would publish it in answer to the saga's last
    /// command for the reply's step.
    pub async fn answer(&self, saga_id: Uuid, reply: impl Into<Message>) -> Envelope {
        answer(&self.stack().pool, &self.stack().vault, saga_id, reply).await
    }
}
