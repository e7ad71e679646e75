//! The children of a chaos run: every role as a separate process of this
//! same binary, configured only through the environment, with stdout and
//! stderr appended to one log file per child slot.
//!
//! Each slot has a keeper task that owns the process. It restarts the
//! child after a kill (once the planned pause is over) and also when the
//! child exits on its own; such a self-exit is recorded, never hidden,
//! because a role that cannot survive a broker restart is a finding. At
//! the end the keeper sends SIGTERM and waits for the graceful drain.
//!
//! Marker lines (`{"chaos": "started" | "killed" | "exited" | ...}`) are
//! appended to the log files between the child's own JSON lines, so a
//! log shows which incarnation wrote what.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Pause before a child that exited on its own is started again.
const SELF_EXIT_RESTART_PAUSE: Duration = Duration::from_millis(500);
/// Environment variables of the chaos process the children must not inherit.
const NOT_INHERITED: &[&str] = &[
    "AUTOBOOK_OPS_ADDR",
    "AUTOBOOK_INSTANCE",
    "AUTOBOOK_CRASH_AT",
    "AUTOBOOK_DUPLICATE_DELIVERIES",
    "AUTOBOOK_PREFETCH",
];

/// One child process slot: a role and its instance number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// `orchestrator`, `search`, `payment`, `order`, `notify` or `gateway`.
    pub role: &'static str,
    pub index: usize,
}

impl Slot {
    /// `orchestrators` orchestrators and `workers` of each worker role.
    pub fn all(orchestrators: usize, workers: usize) -> Vec<Slot> {
        let mut slots: Vec<Slot> = (0..orchestrators)
            .map(|index| Slot {
                role: "orchestrator",
                index,
            })
            .collect();
        for role in ["search", "payment", "order", "notify"] {
            slots.extend((0..workers).map(|index| Slot { role, index }));
        }
        slots
    }

    /// The gateway (a provider-fault run's webhook receiver).
    pub fn gateway() -> Slot {
        Slot {
            role: "gateway",
            index: 0,
        }
    }

    /// `payment-1`: names the log file and the records.
    pub fn name(&self) -> String {
        format!("{}-{}", self.role, self.index)
    }

    /// The subcommand that runs this role.
    pub fn args(&self) -> Vec<&'static str> {
        match self.role {
            "orchestrator" => vec!["orchestrator"],
            "gateway" => vec!["gateway"],
            worker => vec!["worker", worker],
        }
    }

    pub fn log_file(&self, dir: &Path) -> PathBuf {
        dir.join(format!("{}.log", self.name()))
    }
}

/// How children are started: the binary, their environment, where logs go.
#[derive(Clone)]
pub struct Launcher {
    pub exe: PathBuf,
    pub env: Vec<(String, String)>,
    pub log_dir: PathBuf,
    /// Start of the chaos period; every `at_ms` counts from here.
    pub epoch: Instant,
}

/// Names of the environment variables only: their values hold secrets
/// (`AUTOBOOK_DATA_KEYS`, `AUTOBOOK_PSEUDONYM_KEY`, credentials in URLs).
impl std::fmt::Debug for Launcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launcher")
            .field("exe", &self.exe)
            .field("env", &self.env.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("log_dir", &self.log_dir)
            .finish_non_exhaustive()
    }
}

impl Launcher {
    pub fn at_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A command for this binary with the children's environment, output
    /// appended to `log`.
    pub fn command(&self, args: &[&str], log: &Path) -> std::io::Result<Command> {
        let file = OpenOptions::new().create(true).append(true).open(log)?;
        let mut command = Command::new(&self.exe);
        command.args(args);
        for name in NOT_INHERITED {
            command.env_remove(name);
        }
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone()?))
            .stderr(Stdio::from(file));
        Ok(command)
    }

    /// Appends a marker line to a log file (best effort).
    pub fn mark(&self, log: &Path, value: serde_json::Value) {
        if let Ok(mut file) = OpenOptions::new().create(true).append(true).open(log) {
            let mut value = value;
            value["at_ms"] = json!(self.at_ms());
            let _ = writeln!(file, "{value}");
        }
    }
}

/// A child process, SIGKILLed if it is dropped while running (an error or
/// an interrupted run never leaves children behind).
#[derive(Debug)]
pub struct Process {
    child: tokio::process::Child,
    pid: u32,
}

impl Process {
    pub fn spawn(command: &mut Command) -> std::io::Result<Process> {
        let mut command =
            tokio::process::Command::from(std::mem::replace(command, Command::new("")));
        let child = command.kill_on_drop(true).spawn()?;
        let pid = child.id().unwrap_or_default();
        Ok(Process { child, pid })
    }

    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Whether the process has exited (without waiting).
    pub fn has_exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the exit (cancel-safe).
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// SIGKILL, then waits for the exit.
    pub async fn kill(&mut self) -> std::io::Result<ExitStatus> {
        let _ = self.child.start_kill();
        self.wait().await
    }
}

/// A SIGKILL that was sent.
#[derive(Debug, Clone, Serialize)]
pub struct KillRecord {
    pub at_ms: u64,
    pub role: &'static str,
    pub instance: String,
    pub pid: u32,
}

/// A child that exited without being killed or asked to stop.
#[derive(Debug, Clone, Serialize)]
pub struct SelfExit {
    pub at_ms: u64,
    pub role: &'static str,
    pub instance: String,
    pub pid: u32,
    pub status: String,
    /// The last line the child wrote (its log file's last line).
    pub last_log_line: String,
}

/// How a child ended at the graceful stop.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    pub instance: String,
    pub status: String,
    /// Drained and exited in time after SIGTERM, with success.
    pub graceful: bool,
}

/// What the keepers observed.
#[derive(Debug, Default)]
pub struct Records {
    pub kills: Vec<KillRecord>,
    /// Kills that found the child down (restarting after a self-exit).
    pub skipped_kills: usize,
    pub self_exits: Vec<SelfExit>,
    pub stopped: Vec<Stopped>,
    /// Failures to start a child (the binary could not be run).
    pub spawn_errors: Vec<String>,
}

impl Records {
    /// Self-exits counted by role.
    pub fn self_exits_by_role(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for exit in &self.self_exits {
            *counts.entry(exit.role.to_owned()).or_insert(0) += 1;
        }
        counts
    }
}

/// An order to a keeper.
#[derive(Debug, Clone, Copy)]
pub enum Order {
    /// SIGKILL the child now and start it again after the pause.
    Kill { restart_after: Duration },
    /// SIGTERM the child, wait up to `grace` for it to drain, and end.
    Stop { grace: Duration },
}

/// A running keeper: send it orders, watch whether its child is up.
pub struct Keeper {
    pub slot: Slot,
    pub orders: mpsc::UnboundedSender<Order>,
    pub running: watch::Receiver<bool>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts the keeper of `slot` (which starts the child at once).
pub fn keep(slot: Slot, launcher: Arc<Launcher>, records: SharedRecords) -> Keeper {
    let (orders, receiver) = mpsc::unbounded_channel();
    let (up, running) = watch::channel(false);
    let task = tokio::spawn(keeper(slot.clone(), launcher, records, receiver, up));
    Keeper {
        slot,
        orders,
        running,
        task,
    }
}

/// Grace of a stop when the runner has gone away without ordering one.
const DEFAULT_GRACE: Duration = Duration::from_secs(30);

enum Next {
    Exited(std::io::Result<ExitStatus>),
    Order(Option<Order>),
}

async fn keeper(
    slot: Slot,
    launcher: Arc<Launcher>,
    records: SharedRecords,
    mut orders: mpsc::UnboundedReceiver<Order>,
    up: watch::Sender<bool>,
) {
    let log = slot.log_file(&launcher.log_dir);
    let name = slot.name();
    let mut incarnation = 0u32;
    loop {
        incarnation += 1;
        let mut child = match start(&slot, &launcher, &log, incarnation) {
            Ok(child) => child,
            Err(error) => {
                records.send_modify(|r| r.spawn_errors.push(format!("{name}: {error}")));
                if pause(Duration::from_secs(1), &mut orders, &records).await {
                    return stopped_while_down(&records, name);
                }
                continue;
            }
        };
        let pid = child.id();
        let _ = up.send(true);
        let next = tokio::select! {
            status = child.wait() => Next::Exited(status),
            order = orders.recv() => Next::Order(order),
        };
        match next {
            Next::Exited(status) => {
                let _ = up.send(false);
                let status = describe(status);
                launcher.mark(
                    &log,
                    json!({"chaos": "exited", "instance": name, "pid": pid, "status": status}),
                );
                let record = SelfExit {
                    at_ms: launcher.at_ms(),
                    role: slot.role,
                    instance: name.clone(),
                    pid,
                    last_log_line: last_child_line(&log),
                    status,
                };
                records.send_modify(|r| r.self_exits.push(record));
                if pause(SELF_EXIT_RESTART_PAUSE, &mut orders, &records).await {
                    return stopped_while_down(&records, name);
                }
            }
            Next::Order(Some(Order::Kill { restart_after })) => {
                let at_ms = launcher.at_ms();
                let _ = child.kill().await;
                let _ = up.send(false);
                launcher.mark(
                    &log,
                    json!({"chaos": "killed", "instance": name, "pid": pid}),
                );
                records.send_modify(|r| {
                    r.kills.push(KillRecord {
                        at_ms,
                        role: slot.role,
                        instance: name.clone(),
                        pid,
                    })
                });
                if pause(restart_after, &mut orders, &records).await {
                    return stopped_while_down(&records, name);
                }
            }
            Next::Order(order) => {
                let grace = match order {
                    Some(Order::Stop { grace }) => grace,
                    _ => DEFAULT_GRACE,
                };
                let (status, graceful) = terminate(&mut child, pid, grace).await;
                let _ = up.send(false);
                launcher.mark(
                    &log,
                    json!({"chaos": "stopped", "instance": name, "pid": pid, "status": status, "graceful": graceful}),
                );
                records.send_modify(|r| {
                    r.stopped.push(Stopped {
                        instance: name,
                        status,
                        graceful,
                    })
                });
                return;
            }
        }
    }
}

/// Starts one incarnation of the child.
fn start(
    slot: &Slot,
    launcher: &Launcher,
    log: &Path,
    incarnation: u32,
) -> std::io::Result<Process> {
    let child = Process::spawn(&mut launcher.command(&slot.args(), log)?)?;
    launcher.mark(
        log,
        json!({"chaos": "started", "instance": slot.name(), "pid": child.id(), "incarnation": incarnation}),
    );
    Ok(child)
}

/// Waits `duration` while the child is down. Kills that arrive meanwhile
/// are counted as skipped. True if a stop arrived (or the runner is gone).
async fn pause(
    duration: Duration,
    orders: &mut mpsc::UnboundedReceiver<Order>,
    records: &watch::Sender<Records>,
) -> bool {
    let until = Instant::now() + duration;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => return false,
            order = orders.recv() => match order {
                Some(Order::Kill { .. }) => records.send_modify(|r| r.skipped_kills += 1),
                Some(Order::Stop { .. }) | None => return true,
            },
        }
    }
}

fn stopped_while_down(records: &watch::Sender<Records>, instance: String) {
    records.send_modify(|r| {
        r.stopped.push(Stopped {
            instance,
            status: "down at the stop".into(),
            graceful: true,
        })
    });
}

/// SIGTERM, then up to `grace` for the drain; SIGKILL after that.
/// Returns how it ended and whether it drained in time with success.
pub async fn terminate(child: &mut Process, pid: u32, grace: Duration) -> (String, bool) {
    let signalled = tokio::task::spawn_blocking(move || {
        Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    })
    .await
    .is_ok_and(|status| status.is_ok_and(|s| s.success()));
    if signalled && let Ok(status) = tokio::time::timeout(grace, child.wait()).await {
        let graceful = status.as_ref().is_ok_and(ExitStatus::success);
        return (describe(status), graceful);
    }
    let _ = child.kill().await;
    let what = if signalled {
        "did not drain in time; killed"
    } else {
        "SIGTERM could not be sent; killed"
    };
    (what.to_owned(), false)
}

fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(status) => status.to_string(),
        Err(error) => format!("unknown ({error})"),
    }
}

/// The last line of a log file that is not a chaos marker (best effort,
/// reads only the file's tail).
pub fn last_child_line(log: &Path) -> String {
    let mut tail = String::new();
    if let Ok(mut file) = File::open(log) {
        let length = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(length.saturating_sub(8192)));
        let mut bytes = Vec::new();
        let _ = file.read_to_end(&mut bytes);
        tail = String::from_utf8_lossy(&bytes).into_owned();
    }
    let line = tail
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("{\"chaos\""))
        .unwrap_or_default();
    line.chars().take(500).collect()
}

/// The records of every keeper of a run: written by the keepers, watched
/// by whoever waits for one to appear.
pub type SharedRecords = Arc<watch::Sender<Records>>;

pub fn new_records() -> SharedRecords {
    Arc::new(watch::Sender::new(Records::default()))
}

#[cfg(test)]
mod tests;
