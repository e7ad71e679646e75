//! Test support, compiled only with the `testing` feature: the typed reads
//! of the flag tables that the integration suites need to witness what is
//! stored (an erased user is named nowhere). The roles never use it; the
//! test crates call it instead of naming these tables in SQL.

use sqlx::PgPool;

/// How many per-user overrides name `user_id`.
pub async fn overrides_of_user(pool: &PgPool, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM feature_flag_user_overrides WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
}

/// How many audit entries name `user_id`.
pub async fn audit_entries_of_user(pool: &PgPool, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM feature_flag_audit WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await
}
