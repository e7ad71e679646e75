//! How long offers and travellers' personal data are kept: the options the
//! orchestrator's retention sweeps and `autobook ops` read.

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
