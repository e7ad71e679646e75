//! Outages of the real services mid-run: RabbitMQ restarted, PostgreSQL
//! restarted, Redis stopped. The role processes reconnect on their own,
//! readiness reports the outage while it lasts, and every saga finishes
//! with the ledger reconciled once the service is back. Without Redis the
//! workers limit provider calls locally, and go back to the shared limit
//! when it returns.
//!
//! These restart the machine's shared services, so they run one at a time
//! (a lock), in their own test binary (cargo runs test binaries one after
//! another, so no other suite is using the services meanwhile).

#![allow(clippy::unwrap_used)]

#[path = "support/scrape.rs"]
mod scrape;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use autobook_sandbox::{ApiRateLimits, Faults, SandboxConfig};
use support::{Role, System};
use tokio::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::const_new(());

const TRIPS: usize = 30;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program).args(args).status().unwrap();
    assert!(status.success(), "{program} {args:?}: {status}");
}

/// Sagas take long enough (provider latency) that the outage hits them mid-flight.
fn slow_sandbox() -> SandboxConfig {
    SandboxConfig {
        faults: Faults {
            latency_ms: (20, 60),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    }
}

struct Roles {
    _orchestrator: Role,
    _worker: Role,
    ops: String,
}

fn start_roles(system: &System) -> Roles {
    let ops = format!("127.0.0.1:{}", free_port());
    let orchestrator = system.start(&["orchestrator"], &[("AUTOBOOK_OPS_ADDR", ops.clone())]);
    let worker = system.start(&["worker", "all"], &[]);
    Roles {
        _orchestrator: orchestrator,
        _worker: worker,
        ops,
    }
}

/// Polls the orchestrator's readiness until `check` holds (or panics).
async fn readiness_until(ops: &str, what: &str, check: impl Fn(u16, &serde_json::Value) -> bool) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(response) = client.get(format!("http://{ops}/ready")).send().await {
            let status = response.status().as_u16();
            let body = response.json().await.unwrap_or_default();
            if check(status, &body) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("readiness never showed: {what}");
}

fn postgres_cluster() -> (String, String) {
    let output = Command::new("pg_lsclusters").arg("-h").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.split_whitespace().nth(2) == Some("5432"))
        .expect("a PostgreSQL cluster on port 5432");
    let mut fields = line.split_whitespace();
    (
        fields.next().unwrap().to_owned(),
        fields.next().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_run_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let system = System::new("broker-restart", slow_sandbox()).await;
    let roles = start_roles(&system);
    readiness_until(&roles.ops, "ready", |s, _| s == 200).await;
    let ids = system.submit(TRIPS).await;
    run("rabbitmqctl", &["-q", "stop_app"]);
    readiness_until(&roles.ops, "broker down", |s, body| {
        s == 503 && body["broker"] == false
    })
    .await;
    run("rabbitmqctl", &["-q", "start_app"]);
    readiness_until(&roles.ops, "ready again", |s, _| s == 200).await;
    system
        .all_booked_and_reconciled(&ids, "broker restarted")
        .await;
    drop(roles);
    system.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_mid_run_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let system = System::new("db-restart", slow_sandbox()).await;
    let roles = start_roles(&system);
    readiness_until(&roles.ops, "ready", |s, _| s == 200).await;
    let ids = system.submit(TRIPS).await;
    let (version, cluster) = postgres_cluster();
    run(
        "pg_ctlcluster",
        &[&version, &cluster, "stop", "--", "-m", "fast"],
    );
    readiness_until(&roles.ops, "database down", |s, body| {
        s == 503 && body["database"] == false
    })
    .await;
    run("pg_ctlcluster", &[&version, &cluster, "start"]);
    readiness_until(&roles.ops, "ready again", |s, _| s == 200).await;
    system
        .all_booked_and_reconciled(&ids, "database restarted")
        .await;
    drop(roles);
    system.teardown().await;
}

fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

const FALLBACK_CALLS: &str = "autobook_rate_limiter_unavailable_total";

/// Calls the worker limited locally so far.
async fn fallback_calls(ops: &str) -> f64 {
    scrape::value(
        &scrape::parse(&scrape::fetch(ops).await),
        FALLBACK_CALLS,
        &[],
    )
    .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_run_books_under_the_local_limit_and_recovers() {
    let _serial = SERIAL.lock().await;
    let enforced = ApiRateLimits {
        duffel: Some(15),
        stripe: Some(15),
        email: Some(15),
    };
    let sandbox = SandboxConfig {
        rate_limits: enforced,
        ..slow_sandbox()
    };
    let system = System::new("redis-stop", sandbox).await;
    let ops = format!("127.0.0.1:{}", free_port());
    let worker_ops = format!("127.0.0.1:{}", free_port());
    let _orchestrator = system.start(&["orchestrator"], &[("AUTOBOOK_OPS_ADDR", ops.clone())]);
    let mut env = vec![
        ("AUTOBOOK_OPS_ADDR", worker_ops.clone()),
        ("AUTOBOOK_RATE_LIMIT_FALLBACK_SHARE", "0.5".to_owned()),
    ];
    // Shared: 6 a second (burst 2); alone without Redis: 3 (burst 1).
    for provider in ["DUFFEL", "STRIPE", "EMAIL"] {
        env.push((leak(format!("{provider}_RATE_LIMIT")), "6".to_owned()));
        env.push((leak(format!("{provider}_RATE_BURST")), "2".to_owned()));
    }
    let _worker = system.start(&["worker", "all"], &env);
    readiness_until(&ops, "ready", |s, _| s == 200).await;
    let first = system.submit(TRIPS / 2).await;
    let _ = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"])
        .status();
    let second = system.submit(TRIPS / 2).await;
    let mut ids = first;
    ids.extend(second);
    system
        .all_booked_and_reconciled(&ids, "redis stopped")
        .await;
    let ledger = system.sandbox.ledger();
    for (api, traffic) in &ledger.traffic {
        assert_eq!(traffic.too_many_requests, 0, "{api}: {traffic:?}");
    }
    assert!(
        fallback_calls(&worker_ops).await > 0.0,
        "calls made while Redis was down were limited locally"
    );

    // Redis back: the worker returns to the shared bucket (after its
    // reconnect pause), so bookings stop adding locally limited calls.
    let up = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/up.sh");
    run("bash", &[up]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let before = fallback_calls(&worker_ops).await;
        ids.extend(system.submit(1).await);
        system.all_booked_and_reconciled(&ids, "redis back").await;
        if fallback_calls(&worker_ops).await == before {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never went back to the shared limit"
        );
    }
    system.teardown().await;
}
