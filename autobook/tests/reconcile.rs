//! `autobook reconcile` as a process of the real binary, configured
//! through the environment like a deployed role. With `--once --json` it
//! refuses to run while another instance holds the lease, prints one JSON
//! object, releases an orphaned hold and exits non-zero, then exits zero
//! once nothing is left; `ops reconcile --json` shows the release. As a
//! role it runs at once and serves its metrics, every label set present.

#![allow(clippy::unwrap_used)]

#[path = "support/scrape.rs"]
mod scrape;
mod support;

use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use autobook_reconcile::metric_definitions::{
    FINDINGS, HOLDS_RELEASED, INCOMPLETE_LISTINGS, LAST_SUCCESS, RUNS,
};
use autobook_sandbox::SandboxConfig;
use autobook_workers::lease::Leases;
use scrape::Check;
use support::{System, env_or};

/// Runs the binary without blocking the runtime the sandbox is served on.
async fn run(system: &System, args: &[&str]) -> Output {
    let mut command = system.command(args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    tokio::process::Command::from(command)
        .output()
        .await
        .unwrap()
}

/// `reconcile --once --json` with no grace period; its exit status and
/// its one JSON object (None when stdout is empty).
async fn once(system: &System) -> (bool, Option<Value>, String) {
    let output = run(
        system,
        &["reconcile", "--once", "--json", "--grace-secs", "0"],
    )
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let json = (!stdout.trim().is_empty()).then(|| {
        assert_eq!(stdout.trim().lines().count(), 1, "one line: {stdout}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    });
    (output.status.success(), json, stderr)
}

/// An intent holding `amount` cents for a saga autobook has no record of.
async fn orphaned_hold(system: &System, amount: i64) -> String {
    intent(system, amount, false).await
}

/// An intent for a saga autobook has no record of, holding `amount` cents
/// or, `captured`, having taken them.
async fn intent(system: &System, amount: i64, captured: bool) -> String {
    let saga = Uuid::now_v7();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = http
        .post(format!("{}/v1/payment_intents", system.sandbox.stripe_url))
        .bearer_auth("sk_test_sandbox")
        .header("Idempotency-Key", Uuid::new_v4().to_string())
        .form(&[
            ("amount", amount.to_string()),
            ("currency", "usd".into()),
            ("capture_method", "manual".into()),
            ("payment_method", "pm_card_visa".into()),
            ("confirm", "true".into()),
            ("metadata[saga_id]", saga.to_string()),
            ("metadata[idempotency_key]", format!("{saga}:authorize:1")),
        ])
        .send()
        .await
        .unwrap();
    let intent: Value = response.json().await.unwrap();
    assert_eq!(intent["status"], "requires_capture", "{intent}");
    let id = intent["id"].as_str().unwrap().to_owned();
    if captured {
        let response = http
            .post(format!(
                "{}/v1/payment_intents/{id}/capture",
                system.sandbox.stripe_url
            ))
            .bearer_auth("sk_test_sandbox")
            .header("Idempotency-Key", Uuid::new_v4().to_string())
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success());
    }
    id
}

fn status_of(system: &System, id: &str) -> String {
    system
        .sandbox
        .ledger()
        .payment_intents
        .into_iter()
        .find(|i| i.id == id)
        .map(|i| i.status)
        .unwrap()
}

#[tokio::test]
async fn reconcile_once_reports_releases_an_orphaned_hold_and_passes_once_clean() {
    let system = System::new("reconcile", SandboxConfig::default()).await;
    let hold = orphaned_hold(&system, 6400).await;

    // Another instance holds the lease: this one reads nothing.
    let redis = env_or("REDIS_URL", "redis://127.0.0.1:6379");
    let leases = Leases::redis(&redis, &system.namespace).unwrap();
    let lease = leases
        .acquire(
            "reconciliation",
            "another-instance",
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let (ok, json, stderr) = once(&system).await;
    assert!(!ok && json.is_none(), "{json:?}");
    assert!(stderr.contains("lease"), "{stderr}");
    assert_eq!(status_of(&system, &hold), "requires_capture");
    assert!(leases.release(&lease).await);

    let (ok, json, stderr) = once(&system).await;
    let report = json.unwrap_or_else(|| panic!("no report; stderr: {stderr}"));
    assert!(!ok, "findings make the exit non-zero");
    assert!(stderr.contains("not ok"), "{stderr}");
    assert_eq!(report["ok"], false);
    assert_eq!(report["outcome"], "findings", "{report}\n{stderr}");
    assert_eq!(report["counts"]["orphan_hold"], 1, "{report}");
    assert_eq!(report["counts"]["unknown_saga"], 0, "{report}");
    assert_eq!(report["findings"][0]["subject"], hold.as_str());
    assert_eq!(report["findings"][0]["action"], "released");
    assert_eq!(report["released"][0]["payment_intent_id"], hold.as_str());
    assert_eq!(report["released"][0]["amount"]["amount_minor"], 6400);
    assert_eq!(status_of(&system, &hold), "canceled");

    let (ok, json, stderr) = once(&system).await;
    let report = json.unwrap_or_else(|| panic!("no report; stderr: {stderr}"));
    assert!(ok, "{report}\n{stderr}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["findings"], Value::Array(vec![]));
    assert_eq!(report["released"], Value::Array(vec![]));

    let shown = run(&system, &["ops", "reconcile", "--json"]).await;
    assert!(shown.status.success());
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["open_findings"], Value::Array(vec![]), "{shown}");
    assert_eq!(shown["releases"][0]["payment_intent_id"], hold.as_str());
    assert!(shown["releases"][0]["released_at"].is_string(), "{shown}");
    assert_eq!(shown["last_run"]["outcome"], "ok");
    let text = run(&system, &["ops", "reconcile"]).await;
    assert!(text.status.success());
    assert!(String::from_utf8_lossy(&text.stdout).contains(&hold));
    system.teardown().await;
}

/// Waits (at most `timeout`) until something accepts connections on `addr`.
async fn listening(addr: &str, timeout: Duration) {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on {addr} after {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn the_role_runs_at_once_and_serves_every_metric_of_the_job() {
    let system = System::new("reconcile_role", SandboxConfig::default()).await;
    let hold = orphaned_hold(&system, 1200).await;
    intent(&system, 800, true).await;
    let ops = format!("127.0.0.1:{}", free_port());
    let _role = system.start(
        &["reconcile", "--interval-secs", "3600", "--grace-secs", "0"],
        &[
            ("AUTOBOOK_OPS_ADDR", ops.clone()),
            ("AUTOBOOK_INSTANCE", "reconcile-a".into()),
        ],
    );
    listening(&ops, Duration::from_secs(30)).await;
    let (failed, page) = scrape::until(
        &ops,
        Duration::from_secs(30),
        &[
            Check::Equals(RUNS, &[("outcome", "findings")], 1.0),
            Check::Equals(RUNS, &[("outcome", "skipped")], 0.0),
            Check::Equals(RUNS, &[("outcome", "failed")], 0.0),
            Check::Equals(HOLDS_RELEASED, &[], 1.0),
            Check::Equals(FINDINGS, &[("class", "unknown_saga")], 1.0),
            Check::Equals(FINDINGS, &[("class", "orphan_hold")], 0.0),
            Check::Equals(FINDINGS, &[("class", "double_order")], 0.0),
            Check::Positive(LAST_SUCCESS, &[]),
            Check::Equals(INCOMPLETE_LISTINGS, &[("listing", "orders")], 0.0),
            Check::Positive("autobook_reconciliation_run_duration_seconds_count", &[]),
        ],
    )
    .await;
    assert!(failed.is_empty(), "{failed:?}\n{page}");
    assert_eq!(status_of(&system, &hold), "canceled");
    system.teardown().await;
}
