//! The bench's figures: one JSON object for machines, a table for people.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use autobook_reconcile::Verdict;

use super::floor::FloorShape;
use super::latency::Percentiles;
use super::memory::MemoryLevel;
use super::proc_stats::{Machine, RoleCpu};
use super::records::{DurabilitySettings, Outcomes, WorkPerSaga};

/// Rows of the CPU table, in this order (others after them).
const CPU_ORDER: &[&str] = &[
    "orchestrator",
    "search",
    "payment",
    "order",
    "notify",
    "bench",
    "postgres",
    "rabbitmq",
    "redis",
    "other",
    "machine",
];

/// Everything `autobook bench` reports.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub trips: usize,
    pub concurrency: usize,
    pub warmup: usize,
    /// Sagas finished inside the measured window.
    pub measured_sagas: usize,
    pub window_s: f64,
    pub sagas_per_s: f64,
    #[serde(flatten)]
    pub outcomes: Outcomes,
    /// Submission to terminal state, for the sagas submitted in the window.
    pub end_to_end_ms: Percentiles,
    /// Each step's round trip as the saga sees it (from the audit trail).
    #[serde(serialize_with = "in_order")]
    pub steps_ms: Vec<(String, Percentiles)>,
    /// The worker's share of each step (from the provider-call ledger).
    #[serde(serialize_with = "in_order")]
    pub provider_calls_ms: Vec<(String, Percentiles)>,
    /// CPU by role over the window; services are machine-wide.
    pub cpu: BTreeMap<String, RoleCpu>,
    pub work_per_saga: WorkPerSaga,
    pub floor: Option<FloorReport>,
    /// Our sagas/s over the floor's saga-equivalents/s.
    pub ratio_to_floor: Option<f64>,
    pub memory: Option<Vec<MemoryLevel>>,
    pub machine: Machine,
    pub postgres: DurabilitySettings,
    /// The reconciliation job, run once after the roles stopped, against
    /// the run's sandbox (through the providers' APIs) and database.
    pub reconciliation_job: Option<Verdict>,
}

/// The floor run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct FloorReport {
    pub shape: FloorShape,
    pub concurrency: usize,
    pub measured: usize,
    pub window_s: f64,
    /// Saga-equivalents per second.
    pub sagas_per_s: f64,
    pub messages_per_s: f64,
    pub commits_per_s: f64,
    pub end_to_end_ms: Percentiles,
    pub cpu: BTreeMap<String, RoleCpu>,
}

fn in_order<S: Serializer>(rows: &[(String, Percentiles)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(rows.iter().map(|(name, p)| (name, p)))
}

fn cpu_rows(cpu: &BTreeMap<String, RoleCpu>) -> Vec<(&str, &RoleCpu)> {
    let mut rows: Vec<(&str, &RoleCpu)> = CPU_ORDER
        .iter()
        .filter_map(|name| cpu.get(*name).map(|row| (*name, row)))
        .collect();
    rows.extend(
        cpu.iter()
            .filter(|(name, _)| !CPU_ORDER.contains(&name.as_str()))
            .map(|(name, row)| (name.as_str(), row)),
    );
    rows
}

fn print_cpu(cpu: &BTreeMap<String, RoleCpu>) {
    println!(
        "  {:<16} {:>10} {:>12} {:>8}",
        "CPU", "seconds", "ms per saga", "cores"
    );
    for (role, row) in cpu_rows(cpu) {
        let label = match role {
            "bench" => "bench+sandbox",
            "other" => "other processes",
            "machine" => "machine (all)",
            other => other,
        };
        println!(
            "  {label:<16} {:>10.2} {:>12.2} {:>8.2}",
            row.cpu_s, row.ms_per_saga, row.cores
        );
    }
}

fn print_latencies(title: &str, rows: &[(String, Percentiles)]) {
    println!(
        "  {title:<14} {:>8} {:>8} {:>8} {:>7}",
        "p50", "p95", "p99", "n"
    );
    for (name, p) in rows {
        println!(
            "  {name:<14} {:>8.1} {:>8.1} {:>8.1} {:>7}",
            p.p50, p.p95, p.p99, p.n
        );
    }
}

impl BenchReport {
    /// The human-readable report.
    pub fn print(&self) {
        let m = &self.machine;
        println!();
        println!(
            "autobook bench: {} trips, {} in flight, {} warm-up; {} sagas measured over {:.1} s",
            self.trips, self.concurrency, self.warmup, self.measured_sagas, self.window_s
        );
        println!(
            "  machine: {} cores, {}, {:.1} GiB RAM; PostgreSQL synchronous_commit={}, fsync={}",
            m.cores,
            m.cpu_model,
            m.memory_gib,
            self.postgres.synchronous_commit,
            self.postgres.fsync
        );
        println!(
            "  outcomes: {} booked, {} not booked, {} unfinished",
            self.outcomes.booked, self.outcomes.not_booked, self.outcomes.unfinished
        );
        println!("  throughput: {:.1} sagas/s", self.sagas_per_s);
        if let Some(job) = &self.reconciliation_job {
            println!("  reconciliation job: {}", job.headline());
        }
        println!();
        print_latencies(
            "latency (ms)",
            &[("end to end".to_owned(), self.end_to_end_ms)],
        );
        print_latencies("step (ms)", &self.steps_ms);
        print_latencies("worker (ms)", &self.provider_calls_ms);
        println!();
        print_cpu(&self.cpu);
        let w = &self.work_per_saga;
        println!();
        println!(
            "  per saga: {:.2} messages (persistent, confirmed, acked) of {:.0} bytes; {:.2} commits \
             ({:.2} orchestrator, {:.2} worker, {:.2} relay, {:.2} timer)",
            w.messages,
            w.message_bytes,
            w.commits,
            w.orchestrator_commits,
            w.worker_commits,
            w.relay_commits,
            w.timer_commits
        );
        if let Some(floor) = &self.floor {
            println!();
            println!(
                "  floor: {} messages and {} commits per saga-equivalent, {} in flight: {:.1} sagas/s \
                 ({:.0} messages/s, {:.0} commits/s), end to end p50 {:.1} ms, p99 {:.1} ms",
                floor.shape.messages,
                floor.shape.commits,
                floor.concurrency,
                floor.sagas_per_s,
                floor.messages_per_s,
                floor.commits_per_s,
                floor.end_to_end_ms.p50,
                floor.end_to_end_ms.p99
            );
            print_cpu(&floor.cpu);
        }
        if let Some(ratio) = self.ratio_to_floor {
            println!("  our throughput is {ratio:.3} of the floor's");
        }
        if let Some(levels) = &self.memory {
            println!();
            println!(
                "  {:<14} {:>10} {:>10} {:>12}",
                "waiting", "RSS MiB", "peak MiB", "live sagas/s"
            );
            for level in levels {
                println!(
                    "  {:<14} {:>10.1} {:>10.1} {:>12.1}",
                    level.waiting, level.rss_mib, level.peak_rss_mib, level.sagas_per_s
                );
            }
        }
    }
}
