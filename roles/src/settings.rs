//! Settings every role shares, read from the environment (or flags) with
//! local defaults that match `infra/up.sh` and the sandbox's standard ports.
//! Secrets are held as `ApiKey` and never printed.

use std::time::Duration;

use clap::Args;

use autobook_broker::MessageKeys;
use autobook_contracts::Topology;
use autobook_flags::launchdarkly::{FlagKeys, SdkKey};
use autobook_flags::postgres::ReaderConfig;
use autobook_flags::{FlagConfig, ProviderKind};
use autobook_throttle::{RateLimit, Throttle};
use autobook_vault::{Keyring, Unplaced};
use autobook_workers::providers::{ApiKey, ProviderConfig, RateLimits};
use autobook_workers::worker::retry::RetryPolicy;
use autobook_workers::{WorkerConfig, WorkerKind};

/// Where PostgreSQL, RabbitMQ and Redis are.
#[derive(Debug, Clone, Args)]
pub struct Connections {
    /// PostgreSQL URL.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/autobook",
        hide_env_values = true
    )]
    pub database_url: String,
    /// RabbitMQ's address (scheme, host, port, vhost). Each role logs in as
    /// its own user, `autobook-<role>`, with the password in
    /// AUTOBOOK_BROKER_PASSWORD_<ROLE>; a user in the URL is not used.
    #[arg(
        long,
        env = "AMQP_URL",
        default_value = "amqp://127.0.0.1:5672/%2f",
        hide_env_values = true
    )]
    pub amqp_url: String,
    /// Redis URL (provider rate limits).
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        hide_env_values = true
    )]
    pub redis_url: String,
    /// The keys every broker message is signed with: `kid:base64key[,…]`
    /// (32-byte keys; the first signs, all verify), the same in every role.
    /// Required by every role. Set it in the environment, not on the
    /// command line.
    #[arg(long, env = "AUTOBOOK_MESSAGE_KEYS", hide_env_values = true)]
    pub message_keys: Option<MessageKeysArg>,
}

/// `AUTOBOOK_MESSAGE_KEYS` as given, parsed by [`MessageKeysArg::keys`]
/// so that a bad value is reported without being echoed. Never printed.
#[derive(Clone)]
pub struct MessageKeysArg(String);

impl std::fmt::Debug for MessageKeysArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MessageKeysArg(<redacted>)")
    }
}

impl std::str::FromStr for MessageKeysArg {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(MessageKeysArg(value.to_owned()))
    }
}

impl MessageKeysArg {
    /// The keys; an error naming the problem, never the keys.
    pub fn keys(&self) -> anyhow::Result<MessageKeys> {
        Ok(MessageKeys::parse(&self.0)?)
    }
}

/// The services, the topology namespace and the pool size of a role.
#[derive(Debug, Clone, Args)]
pub struct ServiceSettings {
    #[command(flatten)]
    pub connections: Connections,
    /// Prefix of every exchange and queue name.
    #[arg(long, env = "AUTOBOOK_NAMESPACE", default_value = Topology::DEFAULT_NAMESPACE)]
    pub namespace: String,
    /// Database connections per process (five roles at the default fit
    /// PostgreSQL's default max_connections of 100 beside other clients).
    #[arg(long, env = "AUTOBOOK_DB_POOL", default_value_t = 8)]
    pub db_pool: u32,
    /// Pauses before each retry of a transiently failed message, in
    /// milliseconds; after the last, the message is dead-lettered.
    #[arg(
        long,
        env = "AUTOBOOK_RETRY_DELAYS_MS",
        value_delimiter = ',',
        default_value = "1000,5000,30000,120000,600000"
    )]
    pub retry_delays_ms: Vec<u32>,
    /// The type of every queue: classic, or quorum (replicated on a
    /// cluster; `autobook migrate` moves classic queues and their messages).
    #[arg(long, env = "AUTOBOOK_QUEUE_TYPE", default_value = "classic", value_parser = ["classic", "quorum"])]
    pub queue_type: String,
    /// Test switch: publish every message twice (consumers must see no difference).
    #[arg(
        long,
        env = "AUTOBOOK_DUPLICATE_DELIVERIES",
        default_value_t = false,
        hide = true
    )]
    pub duplicate_deliveries: bool,
    #[command(flatten)]
    pub flags: FlagSettings,
    /// The keys personal data is sealed under: `kid:base64key[,kid:base64key…]`
    /// (32-byte keys; the first seals, all open). Required by the
    /// orchestrator, the workers and the `ops` commands that read
    /// travellers' data. Set it in the environment, not on the command line.
    #[arg(long, env = "AUTOBOOK_DATA_KEYS", hide_env_values = true)]
    pub data_keys: Option<DataKeys>,
    /// Values sealed before values were bound to their place (`pii:v1`):
    /// `open` them (while `autobook ops keys status` still counts some) or
    /// `refuse` them (once `autobook ops keys rotate` has placed them all).
    #[arg(long, env = "AUTOBOOK_DATA_UNPLACED", value_parser = parse_unplaced, default_value = "open")]
    pub data_unplaced: Unplaced,
}

fn parse_unplaced(value: &str) -> Result<Unplaced, String> {
    Unplaced::parse(value).ok_or_else(|| "AUTOBOOK_DATA_UNPLACED is open or refuse".to_owned())
}

/// `AUTOBOOK_DATA_KEYS` as given, parsed by [`ServiceSettings::vault`] so
/// that a bad value is reported without being echoed. Never printed.
#[derive(Clone)]
pub struct DataKeys(String);

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKeys(<redacted>)")
    }
}

impl std::str::FromStr for DataKeys {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(DataKeys(value.to_owned()))
    }
}

impl DataKeys {
    /// The keyring; an error naming the problem, never the keys.
    pub fn keyring(&self) -> anyhow::Result<Keyring> {
        Keyring::parse(&self.0).map_err(|e| anyhow::anyhow!("AUTOBOOK_DATA_KEYS: {e}"))
    }
}

/// A secret setting as given (`AUTOBOOK_PSEUDONYM_KEY`), parsed where it
/// is used so that a bad value is reported without being echoed. Never
/// printed.
#[derive(Clone)]
pub struct SecretText(String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}

impl std::str::FromStr for SecretText {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(SecretText(value.to_owned()))
    }
}

impl SecretText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The key erasure pseudonyms are keyed with, from
/// `AUTOBOOK_PSEUDONYM_KEY`; an error naming the problem, never the key.
pub fn pseudonym_key(
    text: Option<&SecretText>,
) -> anyhow::Result<autobook_orchestrator::privacy::PseudonymKey> {
    use autobook_orchestrator::privacy::PseudonymKey;
    use autobook_orchestrator::privacy::pseudonym::PseudonymKeyError;
    let key = match text {
        Some(text) if !text.0.trim().is_empty() => PseudonymKey::parse(&text.0),
        _ => Err(PseudonymKeyError::Missing),
    };
    Ok(key?)
}

impl ServiceSettings {
    /// The keyring from `AUTOBOOK_DATA_KEYS`; an error (naming the problem,
    /// never the keys) when it is missing or malformed.
    pub fn vault(&self) -> anyhow::Result<Keyring> {
        let Some(keys) = &self.data_keys else {
            anyhow::bail!(
                "AUTOBOOK_DATA_KEYS is not set: the keys travellers' personal data is sealed \
                 under, as kid:base64key[,kid:base64key...] (32-byte keys, the first one seals)"
            );
        };
        Ok(keys.keyring()?.with_unplaced(self.data_unplaced))
    }

    /// The broker topology these settings name.
    pub fn topology(&self) -> anyhow::Result<Topology> {
        let topology = Topology::new(&self.namespace)
            .map_err(|e| anyhow::anyhow!("AUTOBOOK_NAMESPACE: {e}"))?;
        let topology = topology.with_retry_delays_ms(self.retry_delays_ms.clone());
        Ok(match self.queue_type.as_str() {
            "quorum" => topology.with_quorum_queues(),
            _ => topology.with_classic_queues(),
        })
    }
}

/// Where the feature flags and the kill switch come from.
#[derive(Debug, Clone, Args)]
pub struct FlagSettings {
    /// Flag provider: postgres (the flag tables, set with `autobook ops
    /// flags set`) or launchdarkly.
    #[arg(long, env = "AUTOBOOK_FLAGS", default_value = "postgres")]
    pub flag_provider: ProviderKind,
    /// PostgreSQL provider: the database holding the flag tables, when not
    /// the role's own (DATABASE_URL). Unreachable, the flags deny until
    /// they are read.
    #[arg(long, env = "AUTOBOOK_FLAGS_DATABASE_URL", hide_env_values = true)]
    pub flags_database_url: Option<String>,
    /// PostgreSQL provider: pause between version checks, in milliseconds
    /// (changes arrive sooner through LISTEN/NOTIFY).
    #[arg(long, env = "AUTOBOOK_FLAGS_POLL_MS", default_value_t = 1_000)]
    pub flags_poll_ms: u64,
    /// PostgreSQL provider: after this long without reading the flags,
    /// decisions deny (fail closed), in milliseconds.
    #[arg(long, env = "AUTOBOOK_FLAGS_STALENESS_MS", default_value_t = 5_000)]
    pub flags_staleness_ms: u64,
    /// LaunchDarkly server SDK key (required with AUTOBOOK_FLAGS=launchdarkly).
    #[arg(long, env = "LAUNCHDARKLY_SDK_KEY", hide_env_values = true)]
    pub launchdarkly_sdk_key: Option<SdkKey>,
    /// LaunchDarkly key of the kill switch flag.
    #[arg(
        long,
        env = "LAUNCHDARKLY_KILL_SWITCH_FLAG",
        default_value = "autobook-kill-switch"
    )]
    pub launchdarkly_kill_switch_flag: String,
    /// LaunchDarkly key of the per-user pipeline flag.
    #[arg(
        long,
        env = "LAUNCHDARKLY_PIPELINE_FLAG",
        default_value = "auto-booking-pipeline-enabled"
    )]
    pub launchdarkly_pipeline_flag: String,
}

impl FlagSettings {
    /// Opens the flags: from the flag database if one is set, else from
    /// `database_url` (the service's own).
    pub async fn open(
        &self,
        database_url: &str,
    ) -> anyhow::Result<std::sync::Arc<dyn autobook_flags::FlagSource>> {
        let store = self.flags_database_url.as_deref().unwrap_or(database_url);
        crate::flag_store::open(&self.config()?, store).await
    }

    /// The provider configuration; the poll must be shorter than the
    /// staleness bound, or a healthy reader would go stale between polls.
    pub fn config(&self) -> anyhow::Result<FlagConfig> {
        anyhow::ensure!(
            self.flags_poll_ms > 0 && self.flags_poll_ms < self.flags_staleness_ms,
            "AUTOBOOK_FLAGS_POLL_MS ({}) must be above 0 and below AUTOBOOK_FLAGS_STALENESS_MS ({})",
            self.flags_poll_ms,
            self.flags_staleness_ms
        );
        Ok(FlagConfig {
            provider: self.flag_provider,
            reader: ReaderConfig {
                poll_interval: Duration::from_millis(self.flags_poll_ms),
                staleness: Duration::from_millis(self.flags_staleness_ms),
            },
            launchdarkly_sdk_key: self.launchdarkly_sdk_key.clone(),
            launchdarkly_keys: FlagKeys {
                kill_switch: self.launchdarkly_kill_switch_flag.clone(),
                pipeline: self.launchdarkly_pipeline_flag.clone(),
            },
            ..FlagConfig::default()
        })
    }
}

/// Where the providers are and how to authenticate. Defaults point at
/// `autobook sandbox` on its standard ports.
#[derive(Debug, Clone, Args)]
pub struct ProviderSettings {
    #[arg(long, env = "DUFFEL_BASE_URL", default_value = "http://127.0.0.1:7401")]
    pub duffel_base_url: String,
    #[arg(
        long,
        env = "DUFFEL_API_KEY",
        default_value = "duffel_test_sandbox",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub duffel_api_key: String,
    #[arg(long, env = "STRIPE_BASE_URL", default_value = "http://127.0.0.1:7402")]
    pub stripe_base_url: String,
    #[arg(
        long,
        env = "STRIPE_API_KEY",
        default_value = "sk_test_sandbox",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub stripe_api_key: String,
    #[arg(long, env = "EMAIL_BASE_URL", default_value = "http://127.0.0.1:7403")]
    pub email_base_url: String,
    #[arg(
        long,
        env = "EMAIL_API_KEY",
        default_value = "re_sandbox",
        hide_env_values = true,
        hide_default_value = true
    )]
    pub email_api_key: String,
    /// Sender of traveller emails.
    #[arg(
        long,
        env = "EMAIL_FROM",
        default_value = "autobook <bookings@autobook.example>"
    )]
    pub email_from: String,
    /// Per-request timeout for provider calls, in milliseconds.
    #[arg(long, env = "PROVIDER_TIMEOUT_MS", default_value_t = 10_000)]
    pub provider_timeout_ms: u64,
    /// Duffel calls per second across all workers (0: unlimited).
    #[arg(long, env = "DUFFEL_RATE_LIMIT", default_value_t = 200.0)]
    pub duffel_rate_limit: f64,
    /// Duffel calls that may go at once after a quiet spell (the bucket's size).
    #[arg(long, env = "DUFFEL_RATE_BURST", default_value_t = 20)]
    pub duffel_rate_burst: u32,
    /// Stripe calls per second across all workers (0: unlimited).
    #[arg(long, env = "STRIPE_RATE_LIMIT", default_value_t = 100.0)]
    pub stripe_rate_limit: f64,
    /// Stripe calls that may go at once after a quiet spell.
    #[arg(long, env = "STRIPE_RATE_BURST", default_value_t = 10)]
    pub stripe_rate_burst: u32,
    /// Email API calls per second across all workers (Resend's default plan allows 2).
    #[arg(long, env = "EMAIL_RATE_LIMIT", default_value_t = 100.0)]
    pub email_rate_limit: f64,
    /// Email API calls that may go at once after a quiet spell.
    #[arg(long, env = "EMAIL_RATE_BURST", default_value_t = 10)]
    pub email_rate_burst: u32,
    /// Share (0 to 1) of every provider's rate and burst one process allows
    /// itself while Redis, and so the shared limit, is unreachable.
    #[arg(
        long,
        env = "AUTOBOOK_RATE_LIMIT_FALLBACK_SHARE",
        default_value_t = RateLimits::DEFAULT_FALLBACK_SHARE
    )]
    pub rate_limit_fallback_share: f64,
}

impl ProviderSettings {
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            duffel: RateLimit::new(self.duffel_rate_limit, self.duffel_rate_burst),
            stripe: RateLimit::new(self.stripe_rate_limit, self.stripe_rate_burst),
            email: RateLimit::new(self.email_rate_limit, self.email_rate_burst),
            fallback_share: self.rate_limit_fallback_share,
        }
    }

    /// Worker configuration for these providers.
    pub fn worker_config(
        &self,
        prefetch: u16,
        instance: String,
        throttle: Throttle<RateLimits>,
    ) -> WorkerConfig {
        let provider = |url: &str, key: &str| {
            let mut config = ProviderConfig::new(url, ApiKey::new(key));
            config.timeout = Duration::from_millis(self.provider_timeout_ms);
            config
        };
        WorkerConfig {
            duffel: provider(&self.duffel_base_url, &self.duffel_api_key),
            stripe: provider(&self.stripe_base_url, &self.stripe_api_key),
            email: provider(&self.email_base_url, &self.email_api_key),
            email_from: self.email_from.clone(),
            prefetch,
            retry: RetryPolicy::default(),
            throttle,
            supplier_timeout: Duration::from_secs(10),
            order_lookup_pages: 50,
            instance,
            pruning: Default::default(),
        }
    }
}

/// Parses a worker role name.
pub fn worker_kinds(names: &[String]) -> Result<Vec<WorkerKind>, String> {
    let mut kinds = Vec::new();
    for name in names {
        match name.as_str() {
            "all" => kinds.extend_from_slice(WorkerKind::ALL),
            "search" => kinds.push(WorkerKind::Search),
            "payment" => kinds.push(WorkerKind::Payment),
            "order" => kinds.push(WorkerKind::Order),
            "notify" => kinds.push(WorkerKind::Notify),
            other => {
                return Err(format!(
                    "unknown worker {other:?}: use search, payment, order, notify or all"
                ));
            }
        }
    }
    kinds.sort_by_key(|k| WorkerKind::ALL.iter().position(|x| x == k));
    kinds.dedup();
    Ok(kinds)
}
