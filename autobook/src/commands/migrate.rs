//! `autobook migrate`: create the database if needed, apply migrations,
//! declare the broker topology (as the ops identity).

use autobook_contracts::senders::Identity;

use crate::args::MigrateArgs;
use autobook_roles::services;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    services::ensure_database(&args.services.connections.database_url).await?;
    let (pool, brokers) =
        services::connect(&args.services, &[Identity::Ops], "autobook-migrate").await?;
    pool.close().await;
    for broker in brokers {
        broker.close().await;
    }
    println!(
        "database migrated and topology declared (namespace {})",
        args.services.namespace
    );
    Ok(())
}
