//! `autobook chaos`, short: the roles run as separate processes of the real
//! binary, are SIGKILLed and restarted at random while trips flow, and no
//! saga is lost or doubled. (No broker restart here: other test binaries
//! may share the broker.)

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

use uuid::Uuid;

use autobook::services;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[test]
fn killed_and_restarted_roles_lose_and_double_nothing() {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    let database = format!("autobook_test_chaos_{id}");
    let namespace = format!("t-chaos-{id}");
    let log_dir = std::env::temp_dir().join(format!("autobook-test-chaos-{id}"));
    let trips = 40;
    let output = Command::new(env!("CARGO_BIN_EXE_autobook"))
        .args([
            "chaos",
            "--trips",
            &trips.to_string(),
            "--duration",
            "20",
            "--kills-per-minute",
            "30",
            "--settle-secs",
            "90",
            "--no-broker-restart",
            "--json",
            "--database",
            &database,
            "--namespace",
            &namespace,
            "--log-dir",
            log_dir.to_str().unwrap(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    let summary: serde_json::Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("no JSON summary ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    let context = format!("summary: {summary:#}\nstderr:\n{stderr}");

    assert!(output.status.success(), "chaos failed; {context}");
    assert_eq!(summary["lost"], 0, "{context}");
    assert_eq!(summary["reconciliation"]["ok"], true, "{context}");
    assert!(
        summary["kill_count"].as_u64().unwrap() >= 5,
        "too few kills; {context}"
    );
    assert_eq!(
        summary["kills"].as_array().unwrap().len() as u64,
        summary["kill_count"].as_u64().unwrap()
    );
    assert_eq!(summary["trips"], trips, "{context}");
    let accounted: u64 = ["booked", "failed", "stuck", "lost"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert_eq!(accounted, trips, "every trip accounted for; {context}");
    assert_eq!(summary["broker_restarts"], 0);
    assert_eq!(summary["log_dir"], log_dir.to_str().unwrap());
    assert!(log_dir.join("orchestrator-0.log").exists());

    let server = env_or(
        "DATABASE_URL",
        "postgres://postgres:postgres@127.0.0.1:5432/autobook",
    );
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(services::drop_database(&server, &database))
        .unwrap();
    let _ = std::fs::remove_dir_all(&log_dir);
}
