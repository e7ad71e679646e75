//! `autobook ops privacy`: the erasures travellers asked for (pending and
//! done; an erasure names no one, only a hash), and a retention sweep run
//! now with the orchestrator's settings.

use chrono::Utc;
use clap::Subcommand;
use serde::Serialize;
use sqlx::PgPool;

use autobook_orchestrator::privacy::retention::{Swept, sweep};

use super::output::{Render, emit, time};
use autobook_roles::retention::RetentionArgs;

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Erasures, newest first.
    Erasures {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Delete old offers and scrub travelled trips' personal data now.
    Retention {
        #[command(flatten)]
        retention: RetentionArgs,
    },
}

pub async fn dispatch(pool: &PgPool, command: &PrivacyCommand, json: bool) -> anyhow::Result<()> {
    match command {
        PrivacyCommand::Erasures { limit } => emit(&erasures(pool, *limit).await?, json),
        PrivacyCommand::Retention { retention } => {
            let swept = sweep(pool, Utc::now(), &retention.config()).await?;
            emit(&RetentionReport::from(swept), json)
        }
    }
}

pub use autobook_orchestrator::admin::erasures::ErasureRow;

#[derive(Debug, Clone, Serialize)]
pub struct Erasures {
    pub erasures: Vec<ErasureRow>,
}

pub async fn erasures(pool: &PgPool, limit: i64) -> Result<Erasures, sqlx::Error> {
    let erasures = autobook_orchestrator::admin::erasures::latest(pool, limit).await?;
    Ok(Erasures { erasures })
}

impl Render for Erasures {
    fn render(&self) -> String {
        let mut out = format!(
            "{:<36}  {:<9}  {:<24}  {:<24}  {:>7}  {:>6}\n",
            "ERASURE", "STATUS", "REQUESTED", "COMPLETED", "STOPPED", "ERASED"
        );
        for e in &self.erasures {
            out.push_str(&format!(
                "{:<36}  {:<9}  {:<24}  {:<24}  {:>7}  {:>6}\n",
                e.id,
                e.status,
                time(e.requested_at),
                e.completed_at.map(time).unwrap_or_else(|| "-".into()),
                e.sagas_stopped,
                e.sagas_erased
            ));
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RetentionReport {
    pub offers_deleted: u64,
    pub trips_scrubbed: u64,
    pub batches: u64,
}

impl From<Swept> for RetentionReport {
    fn from(swept: Swept) -> Self {
        RetentionReport {
            offers_deleted: swept.offers_deleted,
            trips_scrubbed: swept.trips_scrubbed,
            batches: swept.batches,
        }
    }
}

impl Render for RetentionReport {
    fn render(&self) -> String {
        format!(
            "offers deleted: {}\ntrips scrubbed of personal data: {}\ntransactions: {}\n",
            self.offers_deleted, self.trips_scrubbed, self.batches
        )
    }
}
