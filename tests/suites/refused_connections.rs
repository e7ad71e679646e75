//! A PostgreSQL that refuses new connections is named as such: a role
//! starting against it fails with the server's "too many connections", not
//! a pool timeout, and a pool that times out later is explained the same
//! way.

use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use autobook_orchestrator::db;

/// A login role allowed no connection at all, dropped with [`Limited::drop`].
struct Limited {
    admin: PgPool,
    role: String,
    url: String,
}

async fn limited_role() -> Limited {
    let admin = db::connect(&autobook_tests::database_url(), 1)
        .await
        .unwrap();
    let role = format!(
        "autobook_test_limited_{}",
        &Uuid::new_v4().simple().to_string()[..12]
    );
    sqlx::query(AssertSqlSafe(format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'limited' CONNECTION LIMIT 0"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let options: PgConnectOptions = autobook_tests::database_url().parse().unwrap();
    let url = format!(
        "postgres://{role}:limited@{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("postgres")
    );
    Limited { admin, role, url }
}

impl Limited {
    async fn drop(self) {
        sqlx::query(AssertSqlSafe(format!("DROP ROLE {}", self.role)))
            .execute(&self.admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_refused_first_connection_says_too_many_connections() {
    let limited = limited_role().await;
    let error = db::connect(&limited.url, 2).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("too many connections"), "{text}");
    assert!(!matches!(error, sqlx::Error::PoolTimedOut), "{text}");
    limited.drop().await;
}

#[tokio::test]
async fn a_pool_timeout_against_a_refusing_server_is_explained() {
    let limited = limited_role().await;
    let pool = PgPool::connect_lazy(&limited.url).unwrap();
    let explained = db::refusal(&pool, &sqlx::Error::PoolTimedOut)
        .await
        .expect("the refusal is explained");
    assert!(
        explained.starts_with("PostgreSQL refuses new connections (too many clients)"),
        "{explained}"
    );
    // Any other error is left as it is.
    assert_eq!(db::refusal(&pool, &sqlx::Error::RowNotFound).await, None);
    pool.close().await;
    // A pool whose connections were only busy: the server still answers.
    let open = db::connect(&autobook_tests::database_url(), 1)
        .await
        .unwrap();
    assert_eq!(db::refusal(&open, &sqlx::Error::PoolTimedOut).await, None);
    open.close().await;
    limited.drop().await;
}
