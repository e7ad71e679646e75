//! A real Prometheus against a running system: `autobook demo` (a mixed run
//! through the gateway, with the reconciliation job) serves its metrics,
//! Prometheus (started first) scrapes them four times a second with the repository's alert rules,
//! and every query of the Grafana dashboard must return data for the run;
//! every alert rule must load and evaluate without error.
//!
//! Needs `prometheus` (Debian's package; `infra/up.sh` installs it), or its
//! path in `AUTOBOOK_PROMETHEUS`.

#![allow(clippy::unwrap_used)]

mod support;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use uuid::Uuid;

use autobook_roles::services;
use support::{env_or, first_line_with};

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

/// When each scrape that got the demo's metrics began (seconds since the
/// epoch); a scrape that found no demo counts as nothing but the first
/// request ([`Scrapes::asked`]).
#[derive(Clone, Debug, Default)]
struct Scrapes {
    asked: bool,
    answered: Vec<f64>,
}

/// Serves `/metrics` on a port of its own by fetching the demo's (on
/// `ops`), telling `scrapes` of every scrape: the test waits for the scrapes
/// themselves. Returns the address Prometheus is to scrape.
async fn scrape_witness(ops: u16, scrapes: tokio::sync::watch::Sender<Scrapes>) -> String {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let metrics = move || {
        let (client, scrapes) = (client.clone(), scrapes.clone());
        async move {
            let began = now();
            scrapes.send_modify(|s| s.asked = true);
            let answer = client
                .get(format!("http://127.0.0.1:{ops}/metrics"))
                .send()
                .await;
            match answer {
                Ok(answer) if answer.status().is_success() => {
                    let text = answer.text().await.unwrap_or_default();
                    scrapes.send_modify(|s| s.answered.push(began));
                    (axum::http::StatusCode::OK, text)
                }
                _ => (axum::http::StatusCode::SERVICE_UNAVAILABLE, String::new()),
            }
        }
    };
    let app = axum::Router::new().route("/metrics", axum::routing::get(metrics));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test]
async fn every_dashboard_query_returns_data_after_a_mixed_run() {
    let ops = free_port();
    let web = free_port();
    let (scrapes, mut scraped) = tokio::sync::watch::channel(Scrapes::default());
    let target = scrape_witness(ops, scrapes).await;
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
             scrape_configs:\n  - job_name: autobook-demo\n    static_configs:\n      - targets: [\"{target}\"]\n",
            rules.display()
        ),
    )
    .unwrap();
    let mut prometheus = Killed(
        Command::new(env_or("AUTOBOOK_PROMETHEUS", "prometheus"))
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                scratch.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("prometheus runs (infra/up.sh installs it)"),
    );
    let ready = first_line_with(
        prometheus.0.stderr.take().unwrap(),
        "Server is ready to receive web requests",
    );
    tokio::time::timeout(Duration::from_secs(60), ready)
        .await
        .expect("Prometheus was ready within a minute")
        .expect("Prometheus ran until it was ready");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("http://127.0.0.1:{web}");
    // Prometheus scrapes before the demo starts, so that it sees the whole run.
    tokio::time::timeout(Duration::from_secs(60), scraped.wait_for(|s| s.asked))
        .await
        .expect("Prometheus scraped within a minute")
        .unwrap();

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
    let finished = first_line_with(demo.0.stderr.take().unwrap(), "the console stays open");
    tokio::time::timeout(Duration::from_secs(300), finished)
        .await
        .expect("the demo finished within 5 minutes")
        .expect("the demo ran to its end");
    let run_end = now();
    // A scrape is stored before the next one begins: the second scrape
    // begun after the run means the run's last state is in Prometheus.
    tokio::time::timeout(
        Duration::from_secs(60),
        scraped.wait_for(|s| s.answered.iter().filter(|began| **began > run_end).count() >= 2),
    )
    .await
    .expect("Prometheus scraped the finished run within a minute")
    .unwrap();

    // Evaluated at every second from the start of the run until after its
    // last scrape: a rate needs the run in its window, an increase over an
    // hour a sample on both sides of a series' first event.
    // The steps end exactly now, after the scrapes waited for above.
    let end = now();
    let start = end - (end - run_start).ceil();
    let mut empty = Vec::new();
    for (panel, expr) in dashboard_queries() {
        let result = query_range(&client, &base, &expr, start, end).await;
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
