//! Connecting to PostgreSQL and RabbitMQ (waiting for them at start-up),
//! and creating databases. A role connects to the broker as its own
//! identity; the orchestrator and ops declare the topology, the others wait
//! until what they use exists.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use backon::{ExponentialBuilder, Retryable};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions, PgPool};

use autobook_broker::{Broker, BrokerAccess};
use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;

use crate::settings::ServiceSettings;

/// Waits (with backoff, up to about a minute) for the database and the
/// broker, migrates the schema, and connects once as each of `identities`
/// ([`connect_broker`]).
pub async fn connect(
    settings: &ServiceSettings,
    identities: &[Identity],
    connection_name: &str,
) -> anyhow::Result<(PgPool, Vec<Broker>)> {
    let topology = settings.topology()?;
    let access = settings.connections.broker_access()?;
    let pool = patiently(|| {
        autobook_orchestrator::db::connect(&settings.connections.database_url, settings.db_pool)
    })
    .await
    .context("connecting to PostgreSQL (DATABASE_URL)")?;
    autobook_orchestrator::db::migrate(&pool)
        .await
        .context("applying migrations")?;
    let mut brokers = Vec::with_capacity(identities.len());
    for identity in identities {
        let broker = connect_broker(&access, *identity, connection_name, &topology).await?;
        brokers.push(broker.with_duplicate_deliveries(settings.duplicate_deliveries));
    }
    Ok((pool, brokers))
}

/// Connects as `identity`, waiting (with backoff, up to about a minute)
/// for the broker; then declares the topology, or, for an identity that
/// does not declare it, waits as long for what it uses to exist.
pub async fn connect_broker(
    access: &BrokerAccess,
    identity: Identity,
    connection_name: &str,
    topology: &Topology,
) -> anyhow::Result<Broker> {
    let broker = patiently(|| access.connect(identity, connection_name, topology.clone()))
        .await
        .with_context(|| {
            format!(
                "connecting to RabbitMQ (AMQP_URL) as {} (password: {})",
                identity.user(),
                autobook_broker::Password::env_var(identity)
            )
        })?;
    if identity.declares_topology() {
        autobook_broker::declare::declare_topology(&broker)
            .await
            .context("declaring the broker topology")?;
    } else {
        patiently(|| autobook_broker::declare::check_topology(&broker))
            .await
            .context(
                "waiting for the broker topology (`autobook migrate` or an orchestrator declares it)",
            )?;
    }
    Ok(broker)
}

/// For `autobook migrate`: connects as ops (waiting for the broker as
/// [`connect_broker`] does), moves the namespace's classic queues to quorum
/// queues with their messages, then declares the topology. The queues moved.
pub async fn migrate_broker(
    access: &BrokerAccess,
    connection_name: &str,
    topology: &Topology,
) -> anyhow::Result<(Broker, Vec<autobook_broker::quorum::MovedQueue>)> {
    let broker = patiently(|| access.connect(Identity::Ops, connection_name, topology.clone()))
        .await
        .with_context(|| {
            format!(
                "connecting to RabbitMQ (AMQP_URL) as {} (password: {})",
                Identity::Ops.user(),
                autobook_broker::Password::env_var(Identity::Ops)
            )
        })?;
    let moved = autobook_broker::quorum::move_classic_queues(&broker)
        .await
        .context("moving classic queues to quorum queues")?;
    autobook_broker::declare::declare_topology(&broker)
        .await
        .context("declaring the broker topology")?;
    Ok((broker, moved))
}

async fn patiently<T, E, F, Fut>(op: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(5))
        .with_max_times(15);
    op.retry(backoff)
        .notify(|error: &E, delay| tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "service not reachable yet"))
        .await
}

/// Creates the database named in `url` if it does not exist.
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url).context("DATABASE_URL")?;
    let name = options.get_database().unwrap_or("postgres").to_owned();
    let mut admin = options
        .database("postgres")
        .connect()
        .await
        .context("connecting to PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let statement = format!("CREATE DATABASE {}", quote_identifier(&name));
        // A concurrent creator may win the race; that is fine.
        let _ = sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut admin)
            .await;
    }
    Ok(())
}

/// Drops (if present) and creates database `name` on the server of `url`;
/// returns the URL of the new database.
pub async fn recreate_database(url: &str, name: &str) -> anyhow::Result<String> {
    let options = PgConnectOptions::from_str(url).context("DATABASE_URL")?;
    let mut admin = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .context("connecting to PostgreSQL")?;
    let quoted = quote_identifier(name);
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
        .execute(&mut admin)
        .await?;
    Ok(replace_database(url, name))
}

/// Drops database `name` on the server of `url`.
pub async fn drop_database(url: &str, name: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url).context("DATABASE_URL")?;
    let mut admin = options.database("postgres").connect().await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        quote_identifier(name)
    )))
    .execute(&mut admin)
    .await?;
    Ok(())
}

/// `url` with its database path replaced by `name` (query string kept).
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced_in_urls() {
        assert_eq!(
            replace_database("postgres://u:p@h:5432/autobook", "demo"),
            "postgres://u:p@h:5432/demo"
        );
        assert_eq!(
            replace_database("postgres://h/autobook?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
