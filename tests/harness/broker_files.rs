//! What RabbitMQ keeps on disk: its data directory, found as the broker
//! reports it (or `RABBITMQ_DATA_DIR`), read file by file and searched for
//! values that must not be there. The broker runs on this machine (see
//! `infra/up.sh`) and the tests may read its files (they run as root, or
//! `RABBITMQ_DATA_DIR` names a readable copy).
//!
//! Also a durable tap: a queue bound to an exchange that nobody consumes,
//! so the messages published there wait on disk.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

use crate::TestSystem;

/// RabbitMQ's data directory: `RABBITMQ_DATA_DIR`, else what
/// `rabbitmqctl eval 'rabbit_mnesia:dir().'` prints.
pub fn data_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RABBITMQ_DATA_DIR") {
        return PathBuf::from(dir);
    }
    let output = Command::new("rabbitmqctl")
        .args(["eval", "rabbit_mnesia:dir()."])
        .output()
        .expect("rabbitmqctl runs (or set RABBITMQ_DATA_DIR)");
    assert!(
        output.status.success(),
        "rabbitmqctl eval failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let dir = text.trim().trim_matches('"');
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "RabbitMQ's data directory {dir:?} is not readable here"
    );
    dir
}

/// Every file under `dir`, with its bytes (ASCII lowercased).
fn files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {dir:?}: {e}"));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.is_file() {
            // A file may go away while the broker works; what is gone holds nothing.
            if let Ok(mut bytes) = std::fs::read(&path) {
                bytes.make_ascii_lowercase();
                out.push((path, bytes));
            }
        }
    }
}

/// Where each needle (what it is, the text) occurs in `dir`, ignoring
/// ASCII case: `(what, text, file)`.
pub fn find(
    dir: &Path,
    needles: &[(&'static str, String)],
) -> Vec<(&'static str, String, PathBuf)> {
    let mut all = Vec::new();
    files(dir, &mut all);
    assert!(!all.is_empty(), "no file under {dir:?}");
    let mut hits = Vec::new();
    for (what, text) in needles {
        let needle = text.to_ascii_lowercase().into_bytes();
        for (path, bytes) in &all {
            if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                hits.push((*what, text.clone(), path.clone()));
            }
        }
    }
    hits
}

impl TestSystem {
    /// Declares a durable server-named queue (ops, which the stack's
    /// broker logs in as, may declare those and no other) bound to
    /// `exchange` with `routing_key`; nothing consumes it. `name` only
    /// says what it is for.
    pub async fn tap(&self, name: &str, exchange: &str, routing_key: &str) -> String {
        let channel = self.stack().broker.channel().await.unwrap();
        let options = QueueDeclareOptions {
            durable: true,
            ..QueueDeclareOptions::default()
        };
        let queue = channel
            .queue_declare("".into(), options, FieldTable::default())
            .await
            .unwrap()
            .name()
            .as_str()
            .to_owned();
        tracing::debug!(%queue, tap = name, "tap declared");
        channel
            .queue_bind(
                queue.clone().into(),
                exchange.into(),
                routing_key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let _ = channel.close(200, "tapped".into()).await;
        queue
    }

    /// Messages ready in `queue`.
    pub async fn ready(&self, queue: &str) -> u32 {
        let channel = self.stack().broker.channel().await.unwrap();
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let declared = channel
            .queue_declare(queue.into(), options, FieldTable::default())
            .await
            .unwrap();
        let _ = channel.close(200, "counted".into()).await;
        declared.message_count()
    }

    /// Waits (at most 30 s) until `queue` holds at least `count` ready
    /// messages.
    pub async fn until_waiting(&self, queue: &str, count: u32) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.ready(queue).await;
            if ready >= count {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{queue} holds {ready} messages, not {count}, after 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
