//! PostgreSQL connection pool and schema migrations (from `migrations/`).
//!
//! A pool that cannot get a connection reports only that it timed out: the
//! pool retries a server that refuses new connections ("too many clients")
//! as if it were a passing fault. So [`connect`] makes its first
//! connection on its own, and [`refusal`] asks the server again when a
//! pool times out, for an error that says why.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

/// Opens a pool. The URL may hold a password; it is never logged. When the
/// server refuses the first connection, the error is the server's (too
/// many clients, a wrong password, no such database), not a pool timeout.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    options.connect().await?.close().await?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

/// Why `pool` could not get a connection, when `error` is a pool timeout
/// and the server refuses new connections: the server's answer, named as
/// such. None for any other error, or when a connection can be made (the
/// pool's connections were all busy).
pub async fn refusal(pool: &PgPool, error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::PoolTimedOut => {}
        _ => return None,
    }
    match pool.connect_options().connect().await {
        Ok(connection) => {
            let _ = connection.close().await;
            None
        }
        Err(sqlx::Error::Database(refused)) if refused.code().as_deref() == Some(TOO_MANY) => {
            Some(format!(
                "PostgreSQL refuses new connections (too many clients): {}",
                refused.message()
            ))
        }
        Err(other) => Some(format!("PostgreSQL cannot be reached: {other}")),
    }
}

/// SQLSTATE `too_many_connections`: the server's or the role's connection
/// limit is reached.
const TOO_MANY: &str = "53300";

/// Applies every pending migration.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}
