//! The one way the gateway reaches travellers' data: a transaction that
//! has become the role `autobook_gateway` with the caller's user id set
//! (`autobook.user_id`), so PostgreSQL's row-level security shows it only
//! that user's rows, whatever the query says (see the migration
//! `20261126000001_travellers_data.sql`).
//!
//! Both settings are `LOCAL`: they end with the transaction, and a pooled
//! connection never carries one caller's identity into the next request.

use sqlx::{PgPool, Postgres, Transaction};

use autobook_contracts::codes::UserId;

/// The role every user-scoped query runs as.
pub const GATEWAY_ROLE: &str = "autobook_gateway";

/// A transaction that sees only `user`'s rows. Commit it to keep what it
/// wrote; dropping it rolls back.
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
