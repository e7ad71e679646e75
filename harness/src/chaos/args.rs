//! The options of `autobook chaos`.

use std::path::PathBuf;

use clap::Args;

use crate::demo::args::Scenario;
use autobook_roles::settings::Connections;

/// Options of `autobook chaos`.
#[derive(Debug, Args)]
pub struct ChaosArgs {
    /// How many trip requests to submit (paced over the first 60 % of the period).
    #[arg(long, default_value_t = 200)]
    pub trips: usize,
    /// Length of the chaos period, in seconds.
    #[arg(long, default_value_t = 120)]
    pub duration: u64,
    /// Seed of the trips, the sandbox and the kill plan.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// happy or mixed.
    #[arg(long, value_enum, default_value = "mixed")]
    pub scenario: Scenario,
    /// SIGKILLs per minute of the chaos period (spread over the whole period).
    #[arg(long, default_value_t = 15.0)]
    pub kills_per_minute: f64,
    /// Do not restart the broker (rabbitmqctl stop_app/start_app) mid-run.
    #[arg(long)]
    pub no_broker_restart: bool,
    /// The providers misbehave too: answers lost after the effect (500 and
    /// timeout) on every call that has an effect, Stripe search lagging a
    /// minute, slow calls, 429s, and webhooks (sent to a gateway child)
    /// late, duplicated and out of order.
    #[arg(long)]
    pub provider_faults: bool,
    /// After the chaos period, wait this long for every saga to finish;
    /// sagas still open then count as lost.
    #[arg(long, default_value_t = 120)]
    pub settle_secs: u64,
    /// Orchestrator processes.
    #[arg(long, default_value_t = 2)]
    pub orchestrators: usize,
    /// Processes of each worker role (search, payment, order, notify).
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Database connections per child process (PostgreSQL's default
    /// max_connections is 100; ten children share it).
    #[arg(long, default_value_t = 4)]
    pub db_pool: u32,
    /// The children's AUTOBOOK_RETRY_DELAYS_MS: short, so transient
    /// failures (broker or database down) come back quickly.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "200,500,1000,2000,5000,10000,20000"
    )]
    pub retry_delays_ms: Vec<u32>,
    /// Directory for the children's logs (default: a new temporary directory).
    #[arg(long)]
    pub log_dir: Option<PathBuf>,
    /// Database created afresh for the run, on the DATABASE_URL server.
    #[arg(long, default_value = "autobook_chaos")]
    pub database: String,
    /// Broker namespace of the run; cleared before, and after a clean run.
    #[arg(long, default_value = "autobook-chaos")]
    pub namespace: String,
    #[command(flatten)]
    pub connections: Connections,
}
