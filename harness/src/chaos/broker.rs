//! The broker side of a chaos run: restarting RabbitMQ's application with
//! `rabbitmqctl stop_app` / `start_app`, and counting what ended up in the
//! dead-letter queues (by error code) for the summary.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use lapin::options::BasicGetOptions;
use serde::Serialize;

use super::children::Process;
use autobook_broker::BrokerAccess;
use autobook_broker::properties::header_text;
use autobook_contracts::QueueRole;
use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;
use autobook_contracts::topology::headers;

/// How long the broker stays stopped.
pub const BROKER_DOWN: Duration = Duration::from_secs(2);
/// Longest wait for one `rabbitmqctl` call.
const RABBITMQCTL_TIMEOUT: Duration = Duration::from_secs(90);
/// Attempts at `start_app` before giving up (the broker must come back).
const START_ATTEMPTS: usize = 5;

/// One broker restart, as it happened.
#[derive(Debug, Clone, Serialize)]
pub struct BrokerRestart {
    /// When `stop_app` was called.
    pub at_ms: u64,
    /// How long the application was stopped (stop_app returned to start_app returned).
    pub down_ms: u64,
    pub ok: bool,
    pub detail: String,
}

/// Stops and starts the RabbitMQ application; `at_ms` is when it began.
/// Never leaves the broker stopped if `start_app` can work at all.
/// `rabbitmqctl`'s output is appended to `log`.
pub async fn restart(at_ms: u64, log: &Path) -> BrokerRestart {
    let failed = |detail: String| BrokerRestart {
        at_ms,
        down_ms: 0,
        ok: false,
        detail,
    };
    if let Err(error) = rabbitmqctl("stop_app", log).await {
        // It may have stopped anyway: make sure it runs.
        let _ = rabbitmqctl("start_app", log).await;
        return failed(format!("rabbitmqctl stop_app: {error}"));
    }
    let stopped = tokio::time::Instant::now();
    tokio::time::sleep(BROKER_DOWN).await;
    let mut last_error = String::new();
    for attempt in 1..=START_ATTEMPTS {
        match rabbitmqctl("start_app", log).await {
            Ok(()) => {
                return BrokerRestart {
                    at_ms,
                    down_ms: u64::try_from(stopped.elapsed().as_millis()).unwrap_or(u64::MAX),
                    ok: true,
                    detail: if attempt == 1 {
                        "stop_app, start_app".into()
                    } else {
                        format!("start_app needed {attempt} attempts")
                    },
                };
            }
            Err(error) => {
                last_error = error;
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
    failed(format!(
        "rabbitmqctl start_app failed {START_ATTEMPTS} times: {last_error}; THE BROKER MAY BE STOPPED"
    ))
}

async fn rabbitmqctl(action: &str, log: &Path) -> Result<(), String> {
    let output = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("opening {}: {e}", log.display()))?;
    let mut command = Command::new("rabbitmqctl");
    command
        .arg(action)
        .stdin(Stdio::null())
        .stdout(Stdio::from(output.try_clone().map_err(|e| e.to_string())?))
        .stderr(Stdio::from(output));
    let mut process = Process::spawn(&mut command).map_err(|e| format!("rabbitmqctl: {e}"))?;
    match tokio::time::timeout(RABBITMQCTL_TIMEOUT, process.wait()).await {
        Err(_) => Err(format!("timed out after {RABBITMQCTL_TIMEOUT:?}")),
        Ok(Err(error)) => Err(error.to_string()),
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("{status}; see {}", log.display())),
    }
}

/// Messages in each non-empty dead-letter queue of the namespace, by error
/// code and message type (`code/type`). The messages are looked at and put
/// back (never acked), so they stay for inspection.
pub async fn dead_letters(
    access: &BrokerAccess,
    topology: &Topology,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, usize>>> {
    let broker = access
        .connect(Identity::Ops, "autobook-chaos-census", topology.clone())
        .await?;
    let mut census = BTreeMap::new();
    for role in QueueRole::ALL {
        let queue = topology.dead_letter_queue(*role);
        // One channel per queue: closing it returns every unacked message.
        let channel = broker.channel().await?;
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for _ in 0..10_000 {
            let got = channel
                .basic_get(queue.clone().into(), BasicGetOptions::default())
                .await;
            let Ok(Some(message)) = got else { break };
            let properties = &message.delivery.properties;
            let code = header_text(properties, headers::DEAD_LETTER_CODE)
                .unwrap_or_else(|| "no_code".into());
            let kind = properties
                .kind()
                .as_ref()
                .map(|k| k.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into());
            *counts.entry(format!("{code}/{kind}")).or_insert(0) += 1;
        }
        let _ = channel.close(200, "census done".into()).await;
        if !counts.is_empty() {
            census.insert(queue, counts);
        }
    }
    broker.close().await;
    Ok(census)
}
