//! The chaos run's figures: the demo's summary (outcomes, latency, the
//! sandbox-ledger reconciliation and the reconciliation job's verdict)
//! plus what the chaos did (kills, broker restarts, provider faults) and
//! what it found (self-exits, unfinished sagas, dead letters). Printed for
//! people, and as one JSON object for machines.

use std::collections::BTreeMap;

use serde::Serialize;
use uuid::Uuid;

use super::broker::BrokerRestart;
use super::children::{KillRecord, SelfExit, Stopped};
use crate::demo::summary::Summary;

/// At most this many unfinished sagas are listed by id.
pub const UNFINISHED_LISTED: usize = 100;

/// A saga that is not booked or failed at the end (lost, stuck, aborted).
#[derive(Debug, Clone, Serialize)]
pub struct Unfinished {
    pub saga_id: Uuid,
    /// Its status, or `not_started` when the orchestrator has no record.
    pub status: &'static str,
}

/// Everything a chaos run reports.
#[derive(Debug, Serialize)]
pub struct ChaosSummary {
    #[serde(flatten)]
    pub run: Summary,
    pub seed: u64,
    pub duration_s: u64,
    pub kills_per_minute: f64,
    /// Child processes (slots) of the run.
    pub children: usize,
    pub kill_count: usize,
    pub kills_by_role: BTreeMap<String, usize>,
    pub kills: Vec<KillRecord>,
    /// Planned kills that found their child already down.
    pub skipped_kills: usize,
    pub broker_restarts: usize,
    pub broker_restart_events: Vec<BrokerRestart>,
    /// Children that exited on their own (and were restarted), by role.
    pub self_exits: BTreeMap<String, usize>,
    pub self_exit_events: Vec<SelfExit>,
    /// Trips the broker never confirmed (they count as lost).
    pub unconfirmed_submissions: usize,
    /// Trip publishes that failed and were retried.
    pub publish_retries: usize,
    /// Lost, stuck and aborted sagas (the first [`UNFINISHED_LISTED`]).
    pub unfinished: Vec<Unfinished>,
    /// Messages left in dead-letter queues, by queue and `code/type`.
    pub dead_letters: BTreeMap<String, BTreeMap<String, usize>>,
    /// Children that did not drain and exit cleanly on SIGTERM at the end.
    pub ungraceful_stops: Vec<Stopped>,
    pub warnings: Vec<String>,
    pub log_dir: String,
    /// With `--provider-faults`: what the providers' faults came to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_faults: Option<super::provider_faults::ProviderFaults>,
}

impl ChaosSummary {
    /// Clean: nothing lost, and both the ledger and the reconciliation
    /// job agree with every saga.
    pub fn clean(&self) -> bool {
        self.run.lost == 0 && self.run.reconciled()
    }

    /// The human-readable report.
    pub fn print(&self) {
        self.run.print();
        println!();
        println!(
            "autobook chaos: {} children, {} s, seed {}",
            self.children, self.duration_s, self.seed
        );
        let by_role: Vec<String> = self
            .kills_by_role
            .iter()
            .map(|(role, n)| format!("{role} {n}"))
            .collect();
        println!(
            "  SIGKILLs         {:>6}   {}",
            self.kill_count,
            by_role.join(", ")
        );
        if self.skipped_kills > 0 {
            println!(
                "  skipped kills    {:>6}   (the child was already down)",
                self.skipped_kills
            );
        }
        println!("  broker restarts  {:>6}", self.broker_restarts);
        for restart in &self.broker_restart_events {
            println!(
                "    at {} ms, down {} ms, ok = {}: {}",
                restart.at_ms, restart.down_ms, restart.ok, restart.detail
            );
        }
        if let Some(faults) = &self.provider_faults {
            faults.print();
        }
        let exits: usize = self.self_exits.values().sum();
        let by_role: Vec<String> = self
            .self_exits
            .iter()
            .map(|(role, n)| format!("{role} {n}"))
            .collect();
        println!("  self-exits       {:>6}   {}", exits, by_role.join(", "));
        for exit in self.self_exit_events.iter().take(10) {
            println!(
                "    {} (pid {}) at {} ms: {}; last line: {}",
                exit.instance, exit.pid, exit.at_ms, exit.status, exit.last_log_line
            );
        }
        if self.unconfirmed_submissions > 0 {
            println!(
                "  trips never confirmed by the broker: {}",
                self.unconfirmed_submissions
            );
        }
        if !self.unfinished.is_empty() {
            println!("  unfinished sagas:");
            for saga in self.unfinished.iter().take(20) {
                println!("    {} {}", saga.saga_id, saga.status);
            }
        }
        for (queue, counts) in &self.dead_letters {
            let counts: Vec<String> = counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("  dead letters in {queue}: {}", counts.join(", "));
        }
        for stop in &self.ungraceful_stops {
            println!(
                "  {} did not stop gracefully: {}",
                stop.instance, stop.status
            );
        }
        for warning in &self.warnings {
            println!("  warning: {warning}");
        }
        println!("  child logs in {}", self.log_dir);
        println!(
            "  verdict: {}",
            if self.clean() {
                "CLEAN: no saga lost or doubled"
            } else {
                "NOT CLEAN"
            }
        );
    }
}
