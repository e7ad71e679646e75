//! `autobook ops reconcile`: what the reconciliation job left for people:
//! its open findings, the holds it released recently, and its last run.

use chrono::{Duration, Utc};
use clap::Args;
use serde::Serialize;
use sqlx::PgPool;

use autobook_reconcile::history::{self, OpenFinding, ReleaseRow, RunSummary};

use super::output::{Render, one_line, table, time, truncate};

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// Most open findings listed.
    #[arg(long, default_value_t = 100)]
    pub limit: i64,
    /// Releases of the last this many days.
    #[arg(long, default_value_t = 7)]
    pub days: i64,
}

/// The job's open findings, recent releases and last run.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileReport {
    pub last_run: Option<RunSummary>,
    pub open_findings: Vec<OpenFinding>,
    pub releases: Vec<ReleaseRow>,
}

pub async fn report(pool: &PgPool, args: &ReconcileArgs) -> Result<ReconcileReport, sqlx::Error> {
    let since = Utc::now() - Duration::days(args.days.max(0));
    Ok(ReconcileReport {
        last_run: history::last_runs(pool, 1).await?.into_iter().next(),
        open_findings: history::open_findings(pool, args.limit).await?,
        releases: history::releases_since(pool, since, args.limit).await?,
    })
}

fn amount(minor: Option<i64>, currency: Option<&str>) -> String {
    match (minor, currency) {
        (Some(minor), Some(currency)) => format!("{minor} {currency}"),
        _ => "-".to_owned(),
    }
}

impl Render for ReconcileReport {
    fn render(&self) -> String {
        let mut out = match &self.last_run {
            Some(run) => format!(
                "last run {} by {}: {} ({} finding(s), {} released{})\n",
                time(run.finished_at),
                run.instance,
                run.outcome,
                run.findings,
                run.released,
                if run.incomplete.is_empty() {
                    String::new()
                } else {
                    format!("; incomplete: {}", run.incomplete.join(", "))
                }
            ),
            None => "no reconciliation run recorded yet\n".to_owned(),
        };
        out.push_str(&format!("\nopen findings: {}\n", self.open_findings.len()));
        if !self.open_findings.is_empty() {
            let rows: Vec<Vec<String>> = self
                .open_findings
                .iter()
                .map(|f| {
                    vec![
                        f.class.clone(),
                        f.subject.clone(),
                        f.saga_id
                            .map_or_else(|| "-".to_owned(), |id| id.to_string()),
                        amount(f.amount_minor, f.currency.as_deref()),
                        f.action.clone(),
                        time(f.first_seen),
                        truncate(&one_line(&f.detail), 120),
                    ]
                })
                .collect();
            out.push_str(&table(
                &[
                    "CLASS",
                    "SUBJECT",
                    "SAGA",
                    "AMOUNT",
                    "ACTION",
                    "FIRST SEEN",
                    "DETAIL",
                ],
                &rows,
            ));
        }
        out.push_str(&format!("\nholds released: {}\n", self.releases.len()));
        if !self.releases.is_empty() {
            let rows: Vec<Vec<String>> = self
                .releases
                .iter()
                .map(|r| {
                    vec![
                        r.payment_intent_id.clone(),
                        r.saga_id
                            .map_or_else(|| "-".to_owned(), |id| id.to_string()),
                        amount(Some(r.amount_minor), Some(&r.currency)),
                        r.released_at
                            .map_or_else(|| "asked, not confirmed".to_owned(), time),
                        r.released_by.clone(),
                    ]
                })
                .collect();
            out.push_str(&table(
                &["PAYMENT INTENT", "SAGA", "AMOUNT", "RELEASED", "BY"],
                &rows,
            ));
        }
        out
    }
}
