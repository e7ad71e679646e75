//! A fresh, migrated database per test on the `DATABASE_URL` server, and a
//! way to wait on a condition with a deadline.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

pub fn server_options() -> PgConnectOptions {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/autobook".into());
    PgConnectOptions::from_str(&url).unwrap()
}

/// A database of its own, dropped by [`TestDatabase::drop_now`].
pub struct TestDatabase {
    pub name: String,
    pub options: PgConnectOptions,
}

impl TestDatabase {
    pub async fn new(label: &str) -> TestDatabase {
        let name = format!(
            "autobook_test_flags_{label}_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let mut admin = admin().await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap();
        let options = server_options().database(&name);
        let pool = pool(options.clone(), 2).await;
        sqlx::migrate!("../migrations").run(&pool).await.unwrap();
        pool.close().await;
        TestDatabase { name, options }
    }

    pub async fn pool(&self, connections: u32) -> PgPool {
        pool(self.options.clone(), connections).await
    }

    pub async fn drop_now(self) {
        let mut admin = admin().await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        )))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}

async fn admin() -> PgConnection {
    PgConnection::connect_with(&server_options().database("postgres"))
        .await
        .unwrap()
}

pub async fn pool(options: PgConnectOptions, connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(options)
        .await
        .unwrap()
}
