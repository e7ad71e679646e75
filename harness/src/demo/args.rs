//! The options of `autobook demo`, and the scenarios a demo, chaos or
//! bench run draws its trips from.

use clap::{Args, ValueEnum};

use autobook_roles::settings::Connections;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Valid cards, generous prices, no injected faults.
    Happy,
    /// A real share of trips takes each failure path.
    Mixed,
    /// Watched trips while fares move: each is booked once its fare comes
    /// within its limit, or released at its deadline.
    Watch,
}

impl Scenario {
    pub fn as_str(&self) -> &'static str {
        match self {
            Scenario::Happy => "happy",
            Scenario::Mixed => "mixed",
            Scenario::Watch => "watch",
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many trip requests to submit.
    #[arg(long, default_value_t = 200)]
    pub trips: usize,
    /// happy, mixed or watch.
    #[arg(long, value_enum, default_value = "mixed")]
    pub scenario: Scenario,
    /// Print one JSON object as the last line of stdout.
    #[arg(long)]
    pub json: bool,
    /// Give up waiting after this many seconds; sagas still open count as lost.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// watch: how long each trip is watched (its deadline); searches come
    /// five times in that span, fares change fifteen times.
    #[arg(long, default_value_t = 60)]
    pub watch_secs: u64,
    /// Seed of the trip generator and the sandbox.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Submit the trips over HTTP through the gateway (a bearer token per
    /// traveller) instead of publishing them to the broker directly.
    #[arg(long)]
    pub via_gateway: bool,
    /// Run a hostile publisher alongside: with the notify worker's broker
    /// credentials (not the message keys) it forges replies and commands
    /// for every saga; the run fails unless every forgery is refused.
    #[arg(long)]
    pub hostile: bool,
    /// Database created afresh for the run, on the DATABASE_URL server.
    #[arg(long, default_value = "autobook_demo")]
    pub database: String,
    /// Broker namespace of the run; its queues are cleared before and after.
    #[arg(long, default_value = "autobook-demo")]
    pub namespace: String,
    /// The demo database is created on this PostgreSQL server.
    #[command(flatten)]
    pub connections: Connections,
    /// The keys personal data is sealed under (as for the roles); a fresh
    /// random key when unset (the demo database is new on every run).
    #[arg(long, env = "AUTOBOOK_DATA_KEYS", hide_env_values = true)]
    pub data_keys: Option<autobook_roles::settings::DataKeys>,
    /// Serve the operations console on the demo's data while it runs, and
    /// after the summary until Ctrl-C (local logins viewer, operator and
    /// supervisor, passwords `<name>-demo`, unless AUTOBOOK_CONSOLE_USERS
    /// is set).
    #[arg(long)]
    pub console: bool,
    /// Where the console listens, who may sign in (with --console).
    #[command(flatten)]
    pub console_settings: autobook_console::ConsoleSettings,
}
