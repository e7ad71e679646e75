//! Transactions on behalf of one user: the gateway's database role with the
//! user's id set, so row-level security shows and accepts only that user's
//! rows, whatever the query says.

use sqlx::{PgPool, Postgres, Transaction};

use autobook_contracts::codes::UserId;

/// The role the gateway reads and writes as (see the migration
/// `travellers_data`).
pub const GATEWAY_ROLE: &str = "autobook_gateway";

/// Begins a transaction as the gateway role for `user`. Everything done in
/// it is confined to that user's rows; it ends with the transaction.
pub async fn as_user(
    pool: &PgPool,
    user: &UserId,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL ROLE autobook_gateway")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT set_config('autobook.user_id', $1, true)")
        .bind(user.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
