//! Opening the feature flags for a role (the workers, the in-process
//! stack): the provider chosen in the settings, reading the flag tables of
//! the role's own database or of a separate flag store
//! (`AUTOBOOK_FLAGS_DATABASE_URL`). The reader gets a small pool of its
//! own, so a role busy enough to use every connection of its main pool
//! cannot starve the flag reads (which would let the copy go stale and
//! deny). A flag store that cannot be reached does not stop the role nor
//! hold its start-up past the provider's startup wait: its decisions deny
//! (fail closed) until the flags are read.

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use autobook_flags::{FlagConfig, FlagSource};

/// Connections of the flag reader's pool: its change listener keeps one,
/// its reads use the other.
const STORE_CONNECTIONS: u32 = 2;

/// Starts the configured flag provider. The PostgreSQL provider reads the
/// database at `store_url`: the role's own (`DATABASE_URL`) unless a
/// separate flag store is configured.
pub async fn open(config: &FlagConfig, store_url: &str) -> anyhow::Result<Arc<dyn FlagSource>> {
    let store = store_pool(store_url, config)?;
    let flags = autobook_flags::open(config, &store)
        .await
        .context("opening the feature flags")?;
    tracing::info!(provider = flags.provider(), "feature flags opened");
    Ok(flags)
}

/// A pool that connects only when the reader first asks, so an unreachable
/// store fails the reads (which deny) rather than the start-up. Each
/// connection attempt gives up within the reader's poll interval.
fn store_pool(url: &str, config: &FlagConfig) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(STORE_CONNECTIONS)
        .acquire_timeout(config.reader.poll_interval)
        .connect_lazy(url)
        .context("the flag store's URL is not a PostgreSQL URL")
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use autobook_flags::postgres::ReaderConfig;
    use autobook_flags::{DenyReason, FlagDecision};

    use super::*;

    /// Nothing listens on port 1 of the loopback address.
    const UNREACHABLE: &str = "postgres://postgres@127.0.0.1:1/autobook_flags";

    #[tokio::test]
    async fn an_unreachable_flag_store_opens_within_the_startup_wait_and_denies() {
        let config = FlagConfig {
            reader: ReaderConfig {
                poll_interval: Duration::from_millis(100),
                staleness: Duration::from_millis(500),
            },
            startup_wait: Duration::from_millis(300),
            ..FlagConfig::default()
        };
        let started = Instant::now();
        let flags = open(&config, UNREACHABLE).await.unwrap();
        let waited = started.elapsed();
        assert!(
            waited < config.startup_wait + Duration::from_secs(2),
            "opening took {waited:?}"
        );
        assert_eq!(
            flags.decide("usr_1"),
            FlagDecision::Denied(DenyReason::Unavailable)
        );
    }

    #[tokio::test]
    async fn a_malformed_flag_store_url_is_refused() {
        let refused = open(&FlagConfig::default(), "not a url").await;
        assert!(refused.is_err());
    }
}
