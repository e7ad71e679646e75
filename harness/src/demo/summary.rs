//! The demo's figures: outcomes, failure paths, latency and throughput,
//! reconciliation (the sandbox-ledger witness, and the production job's
//! verdict); printed for people and as one JSON line for machines.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use autobook_orchestrator::saga::Phase;

use autobook_contracts::Money;
use autobook_reconcile::Verdict;

use super::watch::WatchFigures;
use crate::reconcile::Report;

/// Everything the demo reports.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub scenario: &'static str,
    pub trips: usize,
    pub booked: usize,
    pub failed: usize,
    /// Cancelled at the traveller's request.
    pub cancelled: usize,
    pub stuck: usize,
    pub lost: usize,
    pub p50_ms: u64,
    pub p99_ms: u64,
    pub sagas_per_s: f64,
    pub elapsed_s: f64,
    /// Failed sagas by reason code.
    pub failures: BTreeMap<&'static str, usize>,
    /// Paths taken: re-searches, compensations, emails that failed.
    pub paths: BTreeMap<&'static str, usize>,
    /// The sagas against the sandbox's own ledger (a local witness).
    pub reconciliation: Report,
    /// The production reconciliation job, run once at the end against the
    /// run's sandbox (through the providers' APIs) and database.
    pub reconciliation_job: Verdict,
    pub database: String,
    /// The `watch` scenario's figures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watch: Option<WatchFigures>,
    /// How trips went in: `broker` or `gateway`.
    pub via: &'static str,
    /// With `--via-gateway`: what the gateway did with the requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<super::via_gateway::GatewayFigures>,
    /// With `--hostile`: the forgeries and how they were refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostile: Option<super::hostile::HostileFigures>,
}

/// One finished (or unfinished) saga of the run.
pub struct Finished {
    pub phase: Option<Phase>,
    /// The trip's price limit and the cheapest fare its searches saw.
    pub max_price: Option<Money>,
    pub cheapest_seen: Option<Money>,
    /// Searches started again because an offer expired or was repriced.
    pub reprices: u32,
    pub epoch: u32,
    pub submitted_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

pub fn summarize(
    scenario: &'static str,
    sagas: &[Finished],
    started: DateTime<Utc>,
    reconciliation: Report,
    reconciliation_job: Verdict,
    database: String,
) -> Summary {
    let mut failures = BTreeMap::new();
    let mut paths = BTreeMap::new();
    let (mut booked, mut failed, mut cancelled, mut attention, mut lost) = (0, 0, 0, 0, 0);
    let mut latencies: Vec<u64> = Vec::new();
    for saga in sagas {
        if saga.reprices > 0 {
            *paths.entry("re_searched").or_insert(0) += 1;
        }
        match &saga.phase {
            Some(Phase::Booked { notified, .. }) => {
                booked += 1;
                if !notified {
                    *paths.entry("booked_email_failed").or_insert(0) += 1;
                }
            }
            Some(Phase::Failed { reason, .. }) => {
                failed += 1;
                *failures.entry(reason.code()).or_insert(0) += 1;
            }
            Some(Phase::Cancelled { .. }) => cancelled += 1,
            Some(Phase::Stuck { .. } | Phase::Aborted { .. }) => attention += 1,
            _ => lost += 1,
        }
        if let Some(done) = saga.completed_at {
            latencies.push(
                u64::try_from((done - saga.submitted_at).num_milliseconds().max(0)).unwrap_or(0),
            );
        }
    }
    latencies.sort_unstable();
    let last = sagas
        .iter()
        .filter_map(|s| s.completed_at)
        .max()
        .unwrap_or(started);
    let elapsed_s = ((last - started).num_milliseconds().max(1) as f64) / 1000.0;
    let finished = booked + failed + cancelled + attention;
    Summary {
        scenario,
        trips: sagas.len(),
        booked,
        failed,
        cancelled,
        stuck: attention,
        lost,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        sagas_per_s: (finished as f64 / elapsed_s * 10.0).round() / 10.0,
        elapsed_s: (elapsed_s * 10.0).round() / 10.0,
        failures,
        paths,
        reconciliation,
        reconciliation_job,
        database,
        watch: None,
        via: "broker",
        gateway: None,
        hostile: None,
    }
}

/// Nearest-rank percentile of sorted values (0 when empty).
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl Summary {
    /// Nothing lost, and both reconciliations agree with every record.
    pub fn reconciled(&self) -> bool {
        self.reconciliation.ok && self.reconciliation_job.ok
    }

    /// The human-readable report.
    pub fn print(&self) {
        println!();
        println!(
            "autobook demo: {} trips, {} scenario, {:.1} s",
            self.trips, self.scenario, self.elapsed_s
        );
        println!("  booked           {:>6}", self.booked);
        let reasons: Vec<String> = self
            .failures
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!(
            "  failed           {:>6}   {}",
            self.failed,
            reasons.join(", ")
        );
        if self.cancelled > 0 {
            println!("  cancelled        {:>6}", self.cancelled);
        }
        println!("  stuck            {:>6}", self.stuck);
        println!("  lost             {:>6}", self.lost);
        for (path, count) in &self.paths {
            let label = match *path {
                "re_searched" => "re-searched after an expired or repriced offer",
                "booked_email_failed" => "booked, but the confirmation email failed",
                other => other,
            };
            println!("  {label}: {count}");
        }
        if let Some(watch) = &self.watch {
            println!(
                "  watched: {} booked when the fare came within the limit, {} released at the deadline",
                watch.booked, watch.released
            );
            println!(
                "  released although a fare within the limit was seen: {}; booked over the limit: {}",
                watch.missed, watch.over_limit
            );
            let limit = watch
                .duffel_limit_per_second
                .map_or("no limit".to_owned(), |l| format!("limit {l}/s"));
            println!(
                "  searches {}; Duffel requests {}, busiest second {} ({limit}), refused for the rate {}",
                watch.searches,
                watch.duffel_requests,
                watch.duffel_peak_per_second,
                watch.duffel_rate_limited
            );
        }
        if let Some(hostile) = &self.hostile {
            let codes: Vec<String> = hostile
                .dead_lettered
                .iter()
                .map(|(code, n)| format!("{code} {n}"))
                .collect();
            println!(
                "  forgeries {}: refused by RabbitMQ {}, dead-lettered {} ({}), accepted {}",
                hostile.forged,
                hostile.refused_by_broker,
                hostile.dead_lettered.values().sum::<usize>(),
                codes.join(", "),
                hostile.accepted
            );
        }
        if let Some(gateway) = &self.gateway {
            println!(
                "  through the gateway: {} accepted (p50 {} ms, p99 {} ms to the 202), {} sent again after 429/503; {} Stripe webhooks recorded",
                gateway.accepted,
                gateway.submit_p50_ms,
                gateway.submit_p99_ms,
                gateway.retried,
                gateway.webhooks_recorded
            );
        }
        println!(
            "  latency p50 {} ms, p99 {} ms; throughput {} sagas/s",
            self.p50_ms, self.p99_ms, self.sagas_per_s
        );
        if self.reconciliation.ok {
            println!(
                "  reconciliation: OK: every capture, hold, order and amount matches the provider ledger"
            );
        } else {
            println!(
                "  reconciliation: {} MISMATCH(ES)",
                self.reconciliation.mismatches.len()
            );
            for m in self.reconciliation.mismatches.iter().take(20) {
                let saga = m
                    .saga_id
                    .map(|id| id.to_string())
                    .unwrap_or_else(|| "-".into());
                println!("    {} {saga}: {}", m.kind, m.detail);
            }
        }
        println!(
            "  reconciliation job: {}",
            self.reconciliation_job.headline()
        );
        println!("  saga records kept in database {}", self.database);
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.50), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
