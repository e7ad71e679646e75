//! `autobook chaos`, short: the roles run as separate processes of the real
//! binary, are SIGKILLed and restarted at random while trips flow (and,
//! with `--provider-faults`, the providers lose answers after the effect,
//! lag, throttle and send webhooks late and twice), and no saga is lost or
//! doubled. (No broker restart here: other test binaries may share the
//! broker.)

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

use uuid::Uuid;

use autobook_roles::services;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Runs a short chaos with `extra` arguments; checks what every run must
/// show and returns the JSON summary.
fn chaos(name: &str, extra: &[&str]) -> serde_json::Value {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    let database = format!("autobook_test_{name}_{id}");
    let namespace = format!("t-{name}-{id}");
    let log_dir = std::env::temp_dir().join(format!("autobook-test-{name}-{id}"));
    let trips = 40;
    let mut args = vec![
        "chaos".to_owned(),
        "--trips".into(),
        trips.to_string(),
        "--duration".into(),
        "20".into(),
        "--kills-per-minute".into(),
        "30".into(),
        "--settle-secs".into(),
        "90".into(),
        "--no-broker-restart".into(),
        "--json".into(),
        "--database".into(),
        database.clone(),
        "--namespace".into(),
        namespace,
        "--log-dir".into(),
        log_dir.to_str().unwrap().to_owned(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    let output = Command::new(env!("CARGO_BIN_EXE_autobook"))
        .args(&args)
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
    assert_eq!(summary["reconciliation_job"]["ok"], true, "{context}");
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
    summary
}

#[test]
fn killed_and_restarted_roles_lose_and_double_nothing() {
    let summary = chaos("chaos", &[]);
    assert!(summary.get("provider_faults").is_none());
    assert_eq!(summary["children"], 10, "{summary:#}");
}

#[test]
fn providers_that_lose_answers_lag_throttle_and_repeat_themselves_lose_and_double_nothing() {
    let summary = chaos("chaos_faults", &["--provider-faults"]);
    let faults = &summary["provider_faults"]["injected"];
    let count = |kind: &str| faults[kind].as_u64().unwrap_or(0);
    assert!(
        count("server_error_after_effect") + count("timeout_after_effect") > 0,
        "answers were lost after the effect: {faults}"
    );
    for kind in [
        "search_lagged",
        "slow",
        "rate_limited",
        "webhook_delayed",
        "webhook_duplicated",
    ] {
        assert!(count(kind) > 0, "{kind} was injected: {faults}");
    }
    // Two orchestrators, two of each of the four workers, and the gateway
    // that takes the webhooks.
    assert_eq!(summary["children"], 11, "{summary:#}");
}
