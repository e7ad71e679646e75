//! A database of its own for a test that runs no system: created, migrated,
//! and dropped by [`Database::drop`].

use sqlx::PgPool;
use uuid::Uuid;

use autobook_roles::services;

/// A fresh, migrated database on the test server.
pub struct Database {
    pub pool: PgPool,
    name: String,
}

impl Database {
    /// Creates and migrates a database; `connections` pooled.
    pub async fn create(connections: u32) -> Database {
        let name = format!(
            "autobook_test_{}",
            &Uuid::new_v4().simple().to_string()[..16]
        );
        let url = services::recreate_database(&crate::database_url(), &name)
            .await
            .unwrap();
        let pool = autobook_orchestrator::db::connect(&url, connections)
            .await
            .unwrap();
        autobook_orchestrator::db::migrate(&pool).await.unwrap();
        Database { pool, name }
    }

    /// Closes the pool and drops the database.
    pub async fn drop(self) {
        self.pool.close().await;
        services::drop_database(&crate::database_url(), &self.name)
            .await
            .unwrap();
    }
}
