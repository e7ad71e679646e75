//! CPU time and memory of processes, read from Linux's `/proc`.
//!
//! A [`Probe`] names the processes a bench watches: our role processes by
//! pid, this process, and the services by command name (every
//! `postgres` process, RabbitMQ's `beam.smp`, `redis-server`). A
//! [`Snapshot`] holds their utime + stime and the machine's busy time; the
//! difference of two snapshots is the CPU each used in between. The
//! services are counted machine-wide: other clients of the same servers
//! are included.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde::Serialize;

/// Service processes counted by command name (`/proc/<pid>/comm`).
const SERVICES: &[(&str, &str)] = &[
    ("postgres", "postgres"),
    ("rabbitmq", "beam.smp"),
    ("redis", "redis-server"),
];

/// Clock ticks per second of `/proc` times (USER_HZ; 100 on Linux unless
/// `getconf CLK_TCK` says otherwise).
pub fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

/// utime + stime (ticks) from the text of `/proc/<pid>/stat`. The command
/// name (field 2) may hold spaces and parentheses, so fields are counted
/// from the last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state(3) ppid pgrp session tty_nr tpgid flags minflt
    // cminflt majflt cmajflt utime(14) stime(15).
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// (busy, total) ticks of all CPUs from the text of `/proc/stat`.
pub fn parse_machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal guest guest_nice; the
    // guest times are already inside user and nice.
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// A `kB` field (`VmRSS`, `VmHWM`, `MemTotal`) of a `/proc` status text, in bytes.
pub fn parse_kib_field(status: &str, field: &str) -> Option<u64> {
    let line = status
        .lines()
        .find(|l| l.split(':').next() == Some(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn process_ticks(pid: u32) -> Option<u64> {
    parse_stat_ticks(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Resident memory of a process: (current VmRSS, peak VmHWM), in bytes.
pub fn resident_memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((
        parse_kib_field(&status, "VmRSS")?,
        parse_kib_field(&status, "VmHWM")?,
    ))
}

/// Ticks of every process whose command name is one of the services',
/// by service and pid.
fn service_ticks() -> BTreeMap<&'static str, HashMap<u32, u64>> {
    let mut found: BTreeMap<&'static str, HashMap<u32, u64>> = SERVICES
        .iter()
        .map(|(service, _)| (*service, HashMap::new()))
        .collect();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else {
            continue;
        };
        let Some((service, _)) = SERVICES.iter().find(|(_, name)| *name == comm.trim()) else {
            continue;
        };
        if let (Some(ticks), Some(pids)) = (process_ticks(pid), found.get_mut(service)) {
            pids.insert(pid, ticks);
        }
    }
    found
}

/// The processes a bench watches.
#[derive(Debug, Clone)]
pub struct Probe {
    /// Our processes by role name (this process included, as `bench`).
    pub roles: Vec<(String, u32)>,
    ticks_per_second: f64,
}

impl Probe {
    /// Watches `roles` plus this process (named `bench`) and the services.
    pub fn new(roles: Vec<(String, u32)>) -> Probe {
        let mut roles = roles;
        roles.push(("bench".to_owned(), std::process::id()));
        Probe {
            roles,
            ticks_per_second: clock_ticks_per_second(),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let machine = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|text| parse_machine_ticks(&text))
            .unwrap_or_default();
        Snapshot {
            at: Instant::now(),
            roles: self
                .roles
                .iter()
                .map(|(role, pid)| (role.clone(), process_ticks(*pid).unwrap_or(0)))
                .collect(),
            services: service_ticks(),
            machine,
        }
    }

    /// CPU used between two snapshots of this probe.
    pub fn usage(&self, before: &Snapshot, after: &Snapshot) -> CpuUsage {
        let seconds = |ticks: u64| ticks as f64 / self.ticks_per_second;
        let mut by_role = BTreeMap::new();
        for ((role, end), (_, start)) in after.roles.iter().zip(&before.roles) {
            by_role.insert(role.clone(), seconds(end.saturating_sub(*start)));
        }
        for (service, pids) in &after.services {
            let earlier = before.services.get(service);
            // A process started in between counts from zero; one that
            // ended in between is missed.
            let ticks: u64 = pids
                .iter()
                .map(|(pid, end)| {
                    end.saturating_sub(earlier.and_then(|e| e.get(pid)).copied().unwrap_or(0))
                })
                .sum();
            by_role.insert((*service).to_owned(), seconds(ticks));
        }
        let (busy_before, total_before) = before.machine;
        let (busy_after, total_after) = after.machine;
        let total = total_after.saturating_sub(total_before);
        CpuUsage {
            wall_s: after.at.duration_since(before.at).as_secs_f64(),
            by_role,
            machine_busy_s: seconds(busy_after.saturating_sub(busy_before)),
            machine_busy_share: if total == 0 {
                0.0
            } else {
                busy_after.saturating_sub(busy_before) as f64 / total as f64
            },
        }
    }
}

/// CPU counters at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    at: Instant,
    roles: Vec<(String, u64)>,
    services: BTreeMap<&'static str, HashMap<u32, u64>>,
    machine: (u64, u64),
}

/// CPU used over a window.
#[derive(Debug, Clone, Default)]
pub struct CpuUsage {
    pub wall_s: f64,
    /// CPU seconds of each role and service.
    pub by_role: BTreeMap<String, f64>,
    /// CPU seconds of the whole machine (every process, every user).
    pub machine_busy_s: f64,
    /// Share of the machine's CPU capacity that was busy (0 to 1).
    pub machine_busy_share: f64,
}

/// One row of the CPU table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleCpu {
    pub cpu_s: f64,
    /// CPU milliseconds per finished saga.
    pub ms_per_saga: f64,
    /// Average cores kept busy over the window.
    pub cores: f64,
}

impl CpuUsage {
    /// Each role's CPU per saga, plus `machine` (everything on the
    /// machine) and `other` (the machine less every listed process).
    pub fn per_saga(&self, sagas: usize) -> BTreeMap<String, RoleCpu> {
        let row = |cpu_s: f64| RoleCpu {
            cpu_s: round(cpu_s, 2),
            ms_per_saga: round(cpu_s * 1000.0 / sagas.max(1) as f64, 3),
            cores: round(cpu_s / self.wall_s.max(f64::EPSILON), 3),
        };
        let mut rows: BTreeMap<String, RoleCpu> = self
            .by_role
            .iter()
            .map(|(role, cpu_s)| (role.clone(), row(*cpu_s)))
            .collect();
        let listed: f64 = self.by_role.values().sum();
        rows.insert("machine".to_owned(), row(self.machine_busy_s));
        rows.insert(
            "other".to_owned(),
            row((self.machine_busy_s - listed).max(0.0)),
        );
        rows
    }
}

/// The machine a bench ran on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
}

impl Machine {
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, model)| model.trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|text| parse_kib_field(&text, "MemTotal"))
            .unwrap_or(0);
        Machine {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            memory_gib: round(memory as f64 / (1024.0 * 1024.0 * 1024.0), 1),
        }
    }
}

/// `value` rounded to `places` decimals.
pub fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_count_fields_after_the_name() {
        let stat = "4242 (tokio (rt) x) S 1 2 3 0 -1 4194304 99 0 0 0 150 25 0 0 20 0 9 0 4931 3133440 379";
        assert_eq!(parse_stat_ticks(stat), Some(175));
        assert_eq!(parse_stat_ticks("garbage"), None);
        assert_eq!(parse_stat_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn machine_ticks_leave_out_idle_and_iowait() {
        let stat = "cpu  100 5 20 1000 50 1 2 3 7 0\ncpu0 1 2 3 4 5 6 7 8 9 0\n";
        // total = 100+5+20+1000+50+1+2+3; busy = total - 1000 - 50.
        assert_eq!(parse_machine_ticks(stat), Some((131, 1181)));
        assert_eq!(parse_machine_ticks("intr 1 2"), None);
    }

    #[test]
    fn kib_fields_become_bytes() {
        let status = "Name:\tautobook\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_kib_field(status, "VmRSS"), Some(10 * 1024 * 1024));
        assert_eq!(parse_kib_field(status, "VmHWM"), Some(20 * 1024 * 1024));
        assert_eq!(parse_kib_field(status, "VmSwap"), None);
    }

    #[test]
    fn this_process_uses_cpu_between_snapshots() {
        let probe = Probe::new(Vec::new());
        let before = probe.snapshot();
        let started = Instant::now();
        let mut spin = 0u64;
        while started.elapsed().as_millis() < 100 {
            spin = spin.wrapping_add(std::hint::black_box(1));
        }
        let after = probe.snapshot();
        let usage = probe.usage(&before, &after);
        assert!(spin > 0);
        assert!(usage.by_role["bench"] > 0.0, "{usage:?}");
        assert!(usage.machine_busy_s > 0.0, "{usage:?}");
        let rows = usage.per_saga(10);
        assert!(rows["bench"].ms_per_saga > 0.0);
        assert!(rows.contains_key("machine") && rows.contains_key("other"));
    }

    #[test]
    fn this_process_has_resident_memory() {
        let (rss, peak) = resident_memory(std::process::id()).expect("readable");
        assert!(rss > 0 && peak >= rss);
    }
}
