//! Choosing and starting a provider from settings
//! (`AUTOBOOK_FLAGS=postgres|launchdarkly`).

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::PgPool;

use crate::error::FlagError;
use crate::launchdarkly::{FlagKeys, LaunchDarklyFlags, SdkKey};
use crate::postgres::{PgFlagReader, ReaderConfig};
use crate::source::FlagSource;

/// Which provider the flags come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// The flag tables in the service's own database (the default).
    Postgres,
    /// LaunchDarkly, through its server SDK.
    Launchdarkly,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Postgres => "postgres",
            ProviderKind::Launchdarkly => "launchdarkly",
        }
    }
}

impl FromStr for ProviderKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "postgres" => Ok(ProviderKind::Postgres),
            "launchdarkly" => Ok(ProviderKind::Launchdarkly),
            other => Err(format!(
                "unknown flag provider {other:?}: use postgres or launchdarkly"
            )),
        }
    }
}

/// Everything needed to start a provider.
#[derive(Debug, Clone)]
pub struct FlagConfig {
    pub provider: ProviderKind,
    /// The PostgreSQL reader's poll interval and staleness bound.
    pub reader: ReaderConfig,
    /// Required for LaunchDarkly.
    pub launchdarkly_sdk_key: Option<SdkKey>,
    pub launchdarkly_keys: FlagKeys,
    /// How long [`open`] waits for the first read before returning anyway
    /// (evaluations deny until then).
    pub startup_wait: Duration,
}

impl Default for FlagConfig {
    fn default() -> Self {
        FlagConfig {
            provider: ProviderKind::Postgres,
            reader: ReaderConfig::default(),
            launchdarkly_sdk_key: None,
            launchdarkly_keys: FlagKeys::default(),
            startup_wait: Duration::from_secs(5),
        }
    }
}

/// Starts the configured provider (the PostgreSQL one reads through `pool`)
/// and waits up to `startup_wait` for its first read. A provider that has
/// not read yet is still returned: it denies until it has.
pub async fn open(config: &FlagConfig, pool: &PgPool) -> Result<Arc<dyn FlagSource>, FlagError> {
    match config.provider {
        ProviderKind::Postgres => {
            let reader = PgFlagReader::start(pool.clone(), config.reader);
            if !reader.wait_until_read(config.startup_wait).await {
                tracing::warn!("flags not read yet from PostgreSQL; denying until they are");
            }
            Ok(Arc::new(reader))
        }
        ProviderKind::Launchdarkly => {
            let key = config.launchdarkly_sdk_key.as_ref().ok_or_else(|| {
                FlagError::Client(
                    "LAUNCHDARKLY_SDK_KEY is required for AUTOBOOK_FLAGS=launchdarkly".into(),
                )
            })?;
            let flags = LaunchDarklyFlags::connect(key, config.launchdarkly_keys.clone())?;
            if !flags.wait_until_initialised(config.startup_wait).await {
                tracing::warn!("LaunchDarkly not initialised yet; denying until it is");
            }
            Ok(Arc::new(flags))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_named_and_unknown_ones_refused() {
        for kind in [ProviderKind::Postgres, ProviderKind::Launchdarkly] {
            assert_eq!(kind.as_str().parse::<ProviderKind>(), Ok(kind));
        }
        let refused = "redis".parse::<ProviderKind>().unwrap_err();
        assert!(refused.contains("postgres or launchdarkly"), "{refused}");
    }
}
