//! `autobook migrate`: create the database if needed, apply migrations,
//! move classic queues an older version declared to quorum queues (with
//! their messages), declare the broker topology (as the ops identity).

use crate::args::MigrateArgs;
use autobook_roles::services;

pub async fn run(args: MigrateArgs) -> anyhow::Result<()> {
    services::ensure_database(&args.services.connections.database_url).await?;
    let (pool, _) = services::connect(&args.services, &[], "autobook-migrate").await?;
    pool.close().await;
    let access = args.services.connections.broker_access()?;
    let (broker, moved) =
        services::migrate_broker(&access, "autobook-migrate", &args.services.topology()?).await?;
    broker.close().await;
    for queue in &moved {
        println!(
            "moved classic queue {} to a quorum queue ({} message(s))",
            queue.queue, queue.messages
        );
    }
    println!(
        "database migrated and topology declared (namespace {})",
        args.services.namespace
    );
    Ok(())
}
