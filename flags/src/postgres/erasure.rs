//! What erasing a user asks of the flag tables, run in the erasure's own
//! transaction (the orchestrator's): the user's per-user overrides go, and
//! the audit names them by their pseudonym only.

use sqlx::PgConnection;

/// Deletes `user`'s overrides and renames them `pseudonym` in the audit.
pub async fn forget_user(
    conn: &mut PgConnection,
    user: &str,
    pseudonym: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM feature_flag_user_overrides WHERE user_id = $1")
        .bind(user)
        .execute(&mut *conn)
        .await?;
    rename_in_audit(conn, user, pseudonym).await
}

/// Renames the user `old` to `new` in the audit (a pseudonym re-keyed).
pub async fn rename_in_audit(
    conn: &mut PgConnection,
    old: &str,
    new: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE feature_flag_audit SET user_id = $2 WHERE user_id = $1")
        .bind(old)
        .bind(new)
        .execute(conn)
        .await
        .map(drop)
}
