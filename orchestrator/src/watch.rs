//! Waiting for a saga to finish without polling: listen on
//! [`SAGA_FINISHED_CHANNEL`], then read the row.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use autobook_vault::Keyring;

use crate::store::{SAGA_FINISHED_CHANNEL, SagaRow, StoreError, load_saga};

/// The saga's row (opened with `vault`) once it is terminal, or `None` if it is not within `timeout`.
pub async fn until_finished(
    pool: &PgPool,
    vault: &Keyring,
    saga_id: Uuid,
    timeout: Duration,
) -> Result<Option<SagaRow>, StoreError> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(SAGA_FINISHED_CHANNEL).await?;
    // Listening first, then reading, so a finish in between is not missed.
    if let Some(row) = load_saga(pool, vault, saga_id)
        .await?
        .filter(|row| row.terminal)
    {
        return Ok(Some(row));
    }
    let wanted = saga_id.to_string();
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let Ok(notification) = tokio::time::timeout_at(deadline, listener.recv()).await else {
            return Ok(None);
        };
        if notification?.payload() == wanted {
            return Ok(load_saga(pool, vault, saga_id)
                .await?
                .filter(|row| row.terminal));
        }
    }
}
