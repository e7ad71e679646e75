//! Removes one saga's personal data from every table it reached, in the
//! caller's transaction:
//!
//! - the saga's state: passenger and contact fields replaced by
//!   placeholders (the state still reads as a saga);
//! - its passengers: anonymised the same way, marked erased;
//! - its outbox copies (already published), deleted;
//! - its dead letters: body, headers and properties removed, marked as no
//!   longer replayable;
//! - optionally (erasure) its offers and submission deleted, and the user
//!   id of what is kept (saga, booking) replaced by a pseudonym.
//!
//! Kept: the booking row (order id, PNR, payment intent, amounts, flights)
//! and the audit trail, which never held personal data.

use sqlx::{Postgres, Row, Transaction};
use uuid::Uuid;

use autobook_contracts::personal::erased;

/// What the scrub does beyond the personal data fields.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Retention: the user keeps their trip; only its personal data goes.
    PersonalData,
    /// Erasure: offers and submissions go too; what is kept is re-labelled
    /// with the pseudonym.
    Erasure { pseudonym: &'a str },
}

/// Scrubs `saga_id`; false if the saga does not exist.
pub async fn scrub_saga(
    tx: &mut Transaction<'_, Postgres>,
    saga_id: Uuid,
    scope: Scope<'_>,
) -> Result<bool, sqlx::Error> {
    let Some(row) = sqlx::query("SELECT state FROM sagas WHERE id = $1 FOR UPDATE")
        .bind(saga_id)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(false);
    };
    let mut state = autobook_vault::redact_json(row.get("state"));
    let pseudonym = match scope {
        Scope::PersonalData => None,
        Scope::Erasure { pseudonym } => Some(pseudonym),
    };
    if let (Some(pseudonym), Some(user)) = (pseudonym, state.pointer_mut("/trip/user_id")) {
        *user = pseudonym.into();
    }
    // The version moves: a writer holding the state from before retries on
    // the scrubbed one.
    sqlx::query(
        "UPDATE sagas SET state = $2, version = version + 1, \
         user_id = COALESCE($3, user_id), \
         personal_data_erased_at = COALESCE(personal_data_erased_at, now()) WHERE id = $1",
    )
    .bind(saga_id)
    .bind(state)
    .bind(pseudonym)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE passengers SET given_name = $2, family_name = $2, born_on = $3, email = $4, \
         phone_number = $5, user_id = COALESCE($6, user_id), \
         erased_at = COALESCE(erased_at, now()) WHERE saga_id = $1",
    )
    .bind(saga_id)
    .bind(erased::NAME)
    .bind(erased::BORN_ON)
    .bind(erased::EMAIL)
    .bind(erased::PHONE)
    .bind(pseudonym)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM outbox WHERE saga_id = $1 AND published_at IS NOT NULL")
        .bind(saga_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE dead_letters SET body = ''::bytea, headers = '{}'::jsonb, properties = NULL, \
         replayed_at = COALESCE(replayed_at, now()), \
         replay_note = 'personal data erased; not replayable' \
         WHERE saga_id = $1 AND octet_length(body) > 0",
    )
    .bind(saga_id)
    .execute(&mut **tx)
    .await?;
    if let Some(pseudonym) = pseudonym {
        sqlx::query("DELETE FROM offers WHERE saga_id = $1")
            .bind(saga_id)
            .execute(&mut **tx)
            .await?;
        crate::submissions::forget_trip(tx, saga_id).await?;
        sqlx::query("UPDATE bookings SET user_id = $2 WHERE saga_id = $1")
            .bind(saga_id)
            .bind(pseudonym)
            .execute(&mut **tx)
            .await?;
    }
    Ok(true)
}
