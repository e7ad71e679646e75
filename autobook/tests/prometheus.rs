//! A real Prometheus against a running system: `autobook demo` (a mixed run
//! through the gateway, with the reconciliation job) serves its metrics,
//! Prometheus scrapes them four times a second with the repository's alert rules,
//! and every query of the Grafana dashboard must return data for the run;
//! every alert rule must load and evaluate without error.
//!
//! Needs `prometheus` (Debian's package; `infra/up.sh` installs it), or its
//! path in `AUTOBOOK_PROMETHEUS`.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use autobook_roles::services;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Kills the child when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every query of the dashboard, with Grafana's variables filled in.
fn dashboard_queries() -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(repo().join("infra/grafana/autobook-dashboard.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&text).unwrap();
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$__range", "10m")
                .replace("$__rate_interval", "1m");
            queries.push((panel["title"].as_str().unwrap_or("?").to_owned(), expr));
        }
    }
    queries
}

async fn query(client: &reqwest::Client, base: &str, expr: &str, at: f64) -> Vec<Value> {
    let answer: Value = client
        .get(format!("{base}/api/v1/query"))
        .query(&[("query", expr), ("time", &format!("{at:.3}"))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success", "{expr}: {answer}");
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The result of `expr` at every second from `start` to `end`.
async fn query_range(
    client: &reqwest::Client,
    base: &str,
    expr: &str,
    start: f64,
    end: f64,
) -> Vec<Value> {
    let answer: Value = client
        .get(format!("{base}/api/v1/query_range"))
        .query(&[
            ("query", expr),
            ("start", &format!("{start:.3}")),
            ("end", &format!("{end:.3}")),
            ("step", "1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "success", "{expr}: {answer}");
    answer["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Whether any series of a range result holds a number (not NaN: a
/// quantile of no events) at some instant.
fn has_number_at_some_point(result: &[Value]) -> bool {
    result.iter().any(|series| {
        series["values"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|point| {
                point[1]
                    .as_str()
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_some_and(|v| !v.is_nan())
            })
    })
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn every_dashboard_query_returns_data_after_a_mixed_run() {
    let ops = free_port();
    let web = free_port();
    let scratch =
        std::env::temp_dir().join(format!("autobook-prometheus-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&scratch).unwrap();
    let rules = repo()
        .join("infra/prometheus/alerts.yml")
        .canonicalize()
        .unwrap();
    let config = scratch.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 250ms\n  evaluation_interval: 1s\nrule_files:\n  - {}\n\
             scrape_configs:\n  - job_name: autobook-demo\n    static_configs:\n      - targets: [\"127.0.0.1:{ops}\"]\n",
            rules.display()
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new(env_or("AUTOBOOK_PROMETHEUS", "prometheus"))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                scratch.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus runs (infra/up.sh installs it)"),
    );

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{web}");
    // Prometheus first, so that it scrapes the whole run.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let ready = client.get(format!("{base}/-/ready")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Scraping has begun once the (not yet running) target is reported down.
    loop {
        if !query(&client, &base, "up{job=\"autobook-demo\"}", now())
            .await
            .is_empty()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus did not scrape"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let id = &Uuid::new_v4().simple().to_string()[..12];
    let run_start = now();
    let database = format!("autobook_test_prom_{id}");
    let mut demo = Killed(
        Command::new(env!("CARGO_BIN_EXE_autobook"))
            .args([
                "demo",
                "--trips",
                "60",
                "--scenario",
                "mixed",
                "--via-gateway",
                "--console",
            ])
            .args([
                "--console-addr",
                "127.0.0.1:0",
                "--ops-addr",
                &format!("127.0.0.1:{ops}"),
            ])
            .args([
                "--database",
                &database,
                "--namespace",
                &format!("t-prom-{id}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // The run is over when the demo says its console stays open.
    let stderr = demo.0.stderr.take().unwrap();
    let (done, finished) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut done = Some(done);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("the console stays open")
                && let Some(done) = done.take()
            {
                let _ = done.send(now());
            }
        }
    });
    let run_end = tokio::time::timeout(Duration::from_secs(300), finished)
        .await
        .expect("the demo finished within 5 minutes")
        .expect("the demo ran to its end");

    // Wait until Prometheus has scraped the finished run.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let scraped = query(
            &client,
            &base,
            "timestamp(up{job=\"autobook-demo\"})",
            now(),
        )
        .await;
        let last = scraped
            .first()
            .and_then(|s| s["value"][1].as_str().and_then(|v| v.parse::<f64>().ok()))
            .unwrap_or(0.0);
        if last > run_end + 2.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus never scraped the run"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Evaluated at every second from the start of the run until after its
    // last scrape: a rate needs the run in its window, an increase over an
    // hour a sample on both sides of a series' first event.
    let end = now();
    let mut empty = Vec::new();
    for (panel, expr) in dashboard_queries() {
        let result = query_range(&client, &base, &expr, run_start, end).await;
        if !has_number_at_some_point(&result) {
            empty.push(format!("{panel}: {expr}"));
        }
    }
    assert!(
        empty.is_empty(),
        "dashboard queries without data after a mixed run:\n{}",
        empty.join("\n")
    );

    let rules: Value = client
        .get(format!("{base}/api/v1/rules"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let groups = rules["data"]["groups"].as_array().unwrap();
    assert!(!groups.is_empty(), "the alert rules are loaded");
    for group in groups {
        for rule in group["rules"].as_array().unwrap() {
            assert_eq!(rule["health"], "ok", "{rule}");
        }
    }

    drop(demo);
    let server = env_or(
        "DATABASE_URL",
        "postgres://postgres:postgres@127.0.0.1:5432/autobook",
    );
    services::drop_database(&server, &database).await.unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
}
