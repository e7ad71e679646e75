//! `autobook migrate`: create the database if needed, apply migrations,
//! declare the broker topology.

use crate::cli::MigrateArgs;
use crate::services;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    services::ensure_database(&args.services.connections.database_url).await?;
    let (pool, broker) = services::connect(&args.services, "autobook-migrate").await?;
    pool.close().await;
    broker.close().await;
    println!(
        "database migrated and topology declared (namespace {})",
        args.services.namespace
    );
    Ok(())
}
