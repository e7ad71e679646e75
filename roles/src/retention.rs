//! How long things are kept: offers and travellers' personal data (the
//! options the orchestrator's retention sweeps and `autobook ops` read),
//! and the bookkeeping that is not history (published outbox rows, inbox
//! ids, completed provider calls), pruned while traffic flows.

use clap::Args;

/// How long offers and travellers' personal data are kept.
#[derive(Debug, Clone, Args)]
pub struct RetentionArgs {
    /// Days an offer is kept after it expired.
    #[arg(long, env = "AUTOBOOK_OFFER_RETENTION_DAYS", default_value_t = 30)]
    pub offer_retention_days: u32,
    /// Days after a trip's last flight its passengers' personal data is kept.
    #[arg(long, env = "AUTOBOOK_PERSONAL_DATA_DAYS", default_value_t = 90)]
    pub personal_data_days: u32,
    /// Seconds between retention sweeps.
    #[arg(long, env = "AUTOBOOK_RETENTION_INTERVAL_SECS", default_value_t = 3600)]
    pub retention_interval_secs: u64,
}

impl RetentionArgs {
    /// The retention settings these arguments describe.
    pub fn config(&self) -> autobook_orchestrator::privacy::retention::RetentionConfig {
        use std::time::Duration;
        autobook_orchestrator::privacy::retention::RetentionConfig {
            offer_retention: Duration::from_secs(u64::from(self.offer_retention_days) * 86_400),
            personal_data_days: self.personal_data_days,
            interval: Duration::from_secs(self.retention_interval_secs.max(1)),
            ..Default::default()
        }
    }
}

/// How long the orchestrator keeps published outbox rows and inbox ids.
#[derive(Debug, Clone, Args)]
pub struct PruningArgs {
    /// Hours a published outbox row is kept.
    #[arg(long, env = "AUTOBOOK_OUTBOX_KEEP_HOURS", default_value_t = 24)]
    pub outbox_keep_hours: u32,
    /// Days a handled message's id is kept in the inbox (it must outlive
    /// every redelivery of the message).
    #[arg(long, env = "AUTOBOOK_INBOX_KEEP_DAYS", default_value_t = 14)]
    pub inbox_keep_days: u32,
    /// Seconds between pruning sweeps.
    #[arg(long, env = "AUTOBOOK_PRUNE_INTERVAL_SECS", default_value_t = 60)]
    pub prune_interval_secs: u64,
}

impl PruningArgs {
    /// The pruning settings these arguments describe.
    pub fn config(&self) -> autobook_orchestrator::pruning::PruneConfig {
        use std::time::Duration;
        autobook_orchestrator::pruning::PruneConfig {
            outbox_window: Duration::from_secs(u64::from(self.outbox_keep_hours) * 3600),
            inbox_window: Duration::from_secs(u64::from(self.inbox_keep_days) * 86_400),
            interval: Duration::from_secs(self.prune_interval_secs.max(1)),
            ..Default::default()
        }
    }
}

/// How long workers keep completed provider calls.
#[derive(Debug, Clone, Args)]
pub struct CallPruningArgs {
    /// Days a completed provider call (and its stored reply) is kept; keep
    /// it longer than any hold lives at the payment provider.
    #[arg(long, env = "AUTOBOOK_PROVIDER_CALLS_KEEP_DAYS", default_value_t = 30)]
    pub provider_calls_keep_days: u32,
    /// Seconds between pruning sweeps.
    #[arg(long, env = "AUTOBOOK_PRUNE_INTERVAL_SECS", default_value_t = 60)]
    pub prune_interval_secs: u64,
}

impl CallPruningArgs {
    /// The pruning settings these arguments describe.
    pub fn config(&self) -> autobook_workers::pruning::CallPruning {
        use std::time::Duration;
        autobook_workers::pruning::CallPruning {
            window: Duration::from_secs(u64::from(self.provider_calls_keep_days) * 86_400),
            interval: Duration::from_secs(self.prune_interval_secs.max(1)),
            ..Default::default()
        }
    }
}
