//! The options of each role's subcommand, as clap reads them;
//! [`crate::cli`] assembles them with the global ones (logs, the ops
//! endpoint: `autobook_roles::log_settings`) and the options of the demo,
//! chaos and bench runs (beside them in `autobook_harness`).

use clap::Args;

use autobook_roles::retention::{CallPruningArgs, PruningArgs, RetentionArgs};
use autobook_roles::settings::{ProviderSettings, ServiceSettings};

#[derive(Debug, Args)]
pub struct OrchestratorArgs {
    #[command(flatten)]
    pub services: ServiceSettings,
    /// Events handled concurrently.
    #[arg(long, env = "AUTOBOOK_PREFETCH", default_value_t = 64)]
    pub prefetch: u16,
    /// Pause between refreshes of the sampled gauges (sagas by status,
    /// outbox, dead letters, queue depths), in milliseconds.
    #[arg(long, env = "AUTOBOOK_METRICS_INTERVAL_MS", default_value_t = 15_000)]
    pub metrics_interval_ms: u64,
    /// Name of this instance in the broker.
    #[arg(long, env = "AUTOBOOK_INSTANCE")]
    pub instance: Option<String>,
    #[command(flatten)]
    pub watch: WatchArgs,
    #[command(flatten)]
    pub retention: RetentionArgs,
    #[command(flatten)]
    pub pruning: PruningArgs,
    /// The secret erasure pseudonyms are keyed with: base64 of at least 32
    /// bytes, the same for every orchestrator. Required. Set it in the
    /// environment, not on the command line.
    #[arg(long, env = "AUTOBOOK_PSEUDONYM_KEY", hide_env_values = true)]
    pub pseudonym_key: Option<autobook_roles::settings::SecretText>,
}

/// How trips with no acceptable offer yet are watched, and their deadline.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// Do not watch: a trip with no acceptable offer fails at once.
    #[arg(long, env = "AUTOBOOK_NO_WATCH")]
    pub no_watch: bool,
    /// Seconds between searches of a watched trip while its deadline is far.
    #[arg(long, env = "AUTOBOOK_WATCH_INTERVAL_SECS", default_value_t = 6 * 3600)]
    pub watch_interval_secs: u64,
    /// Fewest seconds between searches, however near the deadline.
    #[arg(long, env = "AUTOBOOK_WATCH_MIN_INTERVAL_SECS", default_value_t = 900)]
    pub watch_min_interval_secs: u64,
    /// Within this many seconds of the deadline, searches come more often.
    #[arg(long, env = "AUTOBOOK_WATCH_TIGHTEN_SECS", default_value_t = 7 * 24 * 3600)]
    pub watch_tighten_secs: u64,
    /// Each wait is moved by up to this fraction of itself (0 to 0.5).
    #[arg(long, env = "AUTOBOOK_WATCH_JITTER", default_value_t = 0.2)]
    pub watch_jitter: f64,
    /// Longest a trip is watched from its arrival, in seconds (default:
    /// until its deadline).
    #[arg(long, env = "AUTOBOOK_MAX_WATCH_SECS")]
    pub max_watch_secs: Option<u64>,
    /// The booking deadline is the start of the departure day at the
    /// origin less this many seconds (or the traveller's book-by date).
    #[arg(long, env = "AUTOBOOK_DEADLINE_MARGIN_SECS", default_value_t = 6 * 3600)]
    pub deadline_margin_secs: u64,
    /// Seconds a step may wait for its worker's reply before the command
    /// is sent again (same key); keep it above the provider timeout times
    /// its retries and the broker's retry schedule.
    #[arg(long, env = "AUTOBOOK_STEP_DEADLINE_SECS", default_value_t = 900)]
    pub step_deadline_secs: u64,
    /// The step deadline of searches, if it differs.
    #[arg(long, env = "AUTOBOOK_STEP_DEADLINE_SEARCH_SECS")]
    pub step_deadline_search_secs: Option<u64>,
    /// The step deadline of holds, captures, voids and refunds, if it differs.
    #[arg(long, env = "AUTOBOOK_STEP_DEADLINE_PAYMENT_SECS")]
    pub step_deadline_payment_secs: Option<u64>,
    /// The step deadline of airline orders and cancellations, if it differs.
    #[arg(long, env = "AUTOBOOK_STEP_DEADLINE_AIRLINE_SECS")]
    pub step_deadline_airline_secs: Option<u64>,
    /// The step deadline of emails, if it differs.
    #[arg(long, env = "AUTOBOOK_STEP_DEADLINE_NOTIFY_SECS")]
    pub step_deadline_notify_secs: Option<u64>,
    /// Re-sends of a step that got no reply before the saga is stuck.
    #[arg(long, env = "AUTOBOOK_MAX_STEP_RESENDS", default_value_t = 3)]
    pub max_step_resends: u32,
}

impl WatchArgs {
    /// The saga policy these settings describe (other rules at their defaults).
    pub fn policy(&self) -> anyhow::Result<autobook_orchestrator::saga::Policy> {
        use std::time::Duration;
        anyhow::ensure!(
            (0.0..=0.5).contains(&self.watch_jitter),
            "AUTOBOOK_WATCH_JITTER must be between 0 and 0.5, got {}",
            self.watch_jitter
        );
        anyhow::ensure!(
            self.watch_interval_secs > 0 && self.watch_min_interval_secs > 0,
            "watch intervals must be positive"
        );
        let watch = (!self.no_watch).then(|| autobook_orchestrator::saga::WatchPolicy {
            interval: Duration::from_secs(self.watch_interval_secs),
            min_interval: Duration::from_secs(self.watch_min_interval_secs),
            tighten_within: Duration::from_secs(self.watch_tighten_secs),
            jitter: self.watch_jitter,
            max_watch: self.max_watch_secs.map(Duration::from_secs),
        });
        anyhow::ensure!(
            self.step_deadline_secs > 0,
            "AUTOBOOK_STEP_DEADLINE_SECS must be positive"
        );
        let step = |specific: Option<u64>| {
            Duration::from_secs(specific.unwrap_or(self.step_deadline_secs).max(1))
        };
        Ok(autobook_orchestrator::saga::Policy {
            watch,
            deadline_margin: Duration::from_secs(self.deadline_margin_secs),
            step_deadlines: autobook_orchestrator::saga::StepDeadlines {
                search: step(self.step_deadline_search_secs),
                payment: step(self.step_deadline_payment_secs),
                airline: step(self.step_deadline_airline_secs),
                notify: step(self.step_deadline_notify_secs),
            },
            max_step_resends: self.max_step_resends,
            ..autobook_orchestrator::saga::Policy::default()
        })
    }
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Which workers to run: search, payment, order, notify or all.
    #[arg(required = true, value_name = "ROLE")]
    pub roles: Vec<String>,
    #[command(flatten)]
    pub services: ServiceSettings,
    #[command(flatten)]
    pub providers: ProviderSettings,
    /// Commands handled concurrently per queue.
    #[arg(long, env = "AUTOBOOK_PREFETCH", default_value_t = 32)]
    pub prefetch: u16,
    #[command(flatten)]
    pub pruning: CallPruningArgs,
    /// Name of this instance in the broker.
    #[arg(long, env = "AUTOBOOK_INSTANCE")]
    pub instance: Option<String>,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Named fault scenario: happy, mixed, flaky or hostile (every fault at once).
    #[arg(long, default_value = "happy")]
    pub scenario: String,
    /// Where the sandbox's Stripe posts its signed webhooks (e.g. the
    /// gateway's http://127.0.0.1:8080/v1/webhooks/stripe); unset: none
    /// are sent until set on the admin port (PUT /webhook_endpoint).
    #[arg(long, env = "AUTOBOOK_SANDBOX_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// The signing secret of those webhooks (the gateway's).
    #[arg(long, env = "AUTOBOOK_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    #[arg(long, default_value_t = 7400)]
    pub admin_port: u16,
    #[arg(long, default_value_t = 7401)]
    pub duffel_port: u16,
    #[arg(long, default_value_t = 7402)]
    pub stripe_port: u16,
    #[arg(long, default_value_t = 7403)]
    pub email_port: u16,
    /// Override: probability of a transient 503/429 before any effect.
    #[arg(long)]
    pub transient_error_rate: Option<f64>,
    /// Override: probability of an injected 429 before any effect.
    #[arg(long)]
    pub rate_limited_rate: Option<f64>,
    /// Override: probability that a request is held --slow-delay-ms longer.
    #[arg(long)]
    pub slow_rate: Option<f64>,
    /// Override: how much longer a slow request takes, in milliseconds (default 2000).
    #[arg(long)]
    pub slow_delay_ms: Option<u64>,
    /// Override: probability that an offer has expired at order time.
    #[arg(long)]
    pub offer_expired_rate: Option<f64>,
    /// Override: probability that the price changed at order time.
    #[arg(long)]
    pub price_change_rate: Option<f64>,
    /// Override: probability of a permanent airline refusal.
    #[arg(long)]
    pub order_failure_rate: Option<f64>,
    /// Override: probability that a hold has lapsed at capture time.
    #[arg(long)]
    pub capture_failure_rate: Option<f64>,
    /// Override: probability that an email is rejected.
    #[arg(long)]
    pub email_failure_rate: Option<f64>,
    /// Override: probability that an effect is applied and the answer delayed past client timeouts.
    #[arg(long)]
    pub timeout_after_effect_rate: Option<f64>,
    /// Override: probability that an effect is applied and a 500 answered instead (kept under the idempotency key).
    #[arg(long)]
    pub server_error_after_effect_rate: Option<f64>,
    /// Stripe search answers as of this long ago, in milliseconds (default 30000; 0: up to date).
    #[arg(long)]
    pub stripe_search_lag_ms: Option<u64>,
    /// Each webhook delivery first waits a random time in "MIN-MAX" milliseconds (default 0-3000).
    #[arg(long, value_parser = parse_range)]
    pub webhook_delay_ms: Option<(u64, u64)>,
    /// Share of webhook events delivered twice (default 0.1).
    #[arg(long)]
    pub webhook_duplicate_rate: Option<f64>,
    /// Override: extra latency per request, "MIN-MAX" in milliseconds.
    #[arg(long, value_parser = parse_range)]
    pub latency_ms: Option<(u64, u64)>,
    /// Seats per flight and cabin.
    #[arg(long, default_value_t = 60)]
    pub seats_per_flight: u32,
    /// Duffel requests per second and access token before a 429 (default: not enforced).
    #[arg(long)]
    pub duffel_limit_per_sec: Option<u32>,
    /// Stripe requests per second and API key before a 429 (default: not enforced).
    #[arg(long)]
    pub stripe_limit_per_sec: Option<u32>,
    /// Email API requests per second and API key before a 429 (default: not enforced).
    #[arg(long)]
    pub email_limit_per_sec: Option<u32>,
    /// Price motion: fares move on the sandbox clock within this share of their base (0.25 = ±25%); 0 keeps a random drift per search.
    #[arg(long, default_value_t = 0.0)]
    pub price_motion_amplitude: f64,
    /// Price motion: how long one price step lasts, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub price_motion_period_ms: u64,
    /// Price motion: seed of the price paths (default: --seed).
    #[arg(long)]
    pub price_motion_seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub services: ServiceSettings,
}

#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Directory to write into.
    #[arg(long, default_value = "contracts/schemas")]
    pub out: std::path::PathBuf,
}

fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (min, max) = text.split_once('-').ok_or("expected MIN-MAX, e.g. 5-40")?;
    let min = min.trim().parse::<u64>().map_err(|e| e.to_string())?;
    let max = max.trim().parse::<u64>().map_err(|e| e.to_string())?;
    if min > max {
        return Err("MIN must not exceed MAX".into());
    }
    Ok((min, max))
}
