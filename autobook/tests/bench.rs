//! `autobook bench`, tiny: the real binary runs the roles as processes,
//! measures a short closed-loop run, the floor and the orchestrator's
//! memory with sagas waiting, and reports figures that make sense (never
//! timing thresholds); it leaves no database or queue behind.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};

use serde_json::Value;
use uuid::Uuid;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn number(value: &Value, context: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {value}; {context}"))
}

/// p50 <= p95 <= p99, all positive, over `n` samples.
fn ordered(percentiles: &Value, n: u64, context: &str) {
    let (p50, p95, p99) = (
        number(&percentiles["p50"], context),
        number(&percentiles["p95"], context),
        number(&percentiles["p99"], context),
    );
    assert!(
        0.0 < p50 && p50 <= p95 && p95 <= p99,
        "{percentiles}; {context}"
    );
    assert_eq!(percentiles["n"].as_u64(), Some(n), "{context}");
}

#[test]
fn a_tiny_bench_reports_sane_figures_and_cleans_up() {
    let id = &Uuid::new_v4().simple().to_string()[..12];
    let database = format!("autobook_test_bench_{id}");
    let namespace = format!("t-bench-{id}");
    let (trips, concurrency, warmup, waiting) = (20u64, 4u64, 4u64, 50u64);
    let output = Command::new(env!("CARGO_BIN_EXE_autobook"))
        .args(["bench", "--floor", "--json"])
        .args(["--trips", &trips.to_string()])
        .args(["--concurrency", &concurrency.to_string()])
        .args(["--warmup", &warmup.to_string()])
        .args(["--waiting", &waiting.to_string()])
        .args(["--database", &database, "--namespace", &namespace])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    let report: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    let context = &format!("report: {report:#}\nstderr:\n{stderr}");
    assert!(output.status.success(), "bench failed; {context}");

    // Every trip booked; the window counts the steady state only.
    assert_eq!(report["booked"].as_u64(), Some(trips), "{context}");
    assert_eq!(report["unfinished"].as_u64(), Some(0), "{context}");
    // The reconciliation job, run at the end, agrees with every saga.
    assert_eq!(report["reconciliation_job"]["ok"], true, "{context}");
    let measured = trips - concurrency - warmup;
    assert_eq!(
        report["measured_sagas"].as_u64(),
        Some(measured),
        "{context}"
    );
    assert!(number(&report["sagas_per_s"], context) > 0.0, "{context}");
    assert!(number(&report["window_s"], context) > 0.0, "{context}");

    // Latencies of the sagas submitted in the window: every step of each.
    let in_window = report["end_to_end_ms"]["n"].as_u64().unwrap();
    assert!(in_window >= 1, "{context}");
    ordered(&report["end_to_end_ms"], in_window, context);
    for step in [
        "intake",
        "search",
        "authorize",
        "order",
        "capture",
        "notify",
    ] {
        ordered(&report["steps_ms"][step], in_window, context);
    }
    for step in ["search", "authorize", "order", "capture", "notify"] {
        ordered(&report["provider_calls_ms"][step], in_window, context);
    }

    // CPU of every role process, and of the machine.
    for role in [
        "orchestrator",
        "search",
        "payment",
        "order",
        "notify",
        "bench",
        "machine",
    ] {
        let row = &report["cpu"][role];
        assert!(
            number(&row["ms_per_saga"], context) > 0.0,
            "{role}; {context}"
        );
        assert!(number(&row["cpu_s"], context) > 0.0, "{role}; {context}");
    }

    // A booked saga: the trip request, five commands and five replies;
    // six orchestrator transactions, a claim and a reply per provider call.
    let work = &report["work_per_saga"];
    assert_eq!(number(&work["messages"], context), 11.0, "{context}");
    assert_eq!(
        number(&work["orchestrator_commits"], context),
        6.0,
        "{context}"
    );
    assert_eq!(number(&work["worker_commits"], context), 10.0, "{context}");
    let relay = number(&work["relay_commits"], context);
    assert!(relay > 0.0 && relay <= 5.0, "{context}");
    assert!(number(&work["message_bytes"], context) > 0.0, "{context}");

    // The floor does the same work per saga-equivalent.
    let floor = &report["floor"];
    assert_eq!(floor["shape"]["messages"].as_u64(), Some(11), "{context}");
    let commits = number(&work["commits"], context).round() as u64;
    assert_eq!(
        floor["shape"]["commits"].as_u64(),
        Some(commits),
        "{context}"
    );
    assert_eq!(floor["measured"].as_u64(), Some(measured), "{context}");
    assert!(number(&floor["sagas_per_s"], context) > 0.0, "{context}");
    ordered(
        &floor["end_to_end_ms"],
        floor["end_to_end_ms"]["n"].as_u64().unwrap(),
        context,
    );
    assert!(
        number(&report["ratio_to_floor"], context) > 0.0,
        "{context}"
    );

    // Memory at 0, a tenth and all of the waiting sagas.
    let levels = report["memory"].as_array().unwrap();
    let waited: Vec<u64> = levels
        .iter()
        .map(|l| l["waiting"].as_u64().unwrap())
        .collect();
    assert_eq!(waited, [0, waiting / 10, waiting], "{context}");
    for level in levels {
        let rss = number(&level["rss_mib"], context);
        assert!(
            rss > 0.0 && rss <= number(&level["peak_rss_mib"], context),
            "{context}"
        );
        assert!(number(&level["sagas_per_s"], context) > 0.0, "{context}");
    }
    assert_eq!(
        report["machine"]["cores"].as_u64().map(|c| c >= 1),
        Some(true)
    );

    // Nothing left behind: the database is gone.
    let server = env_or(
        "DATABASE_URL",
        "postgres://postgres:postgres@127.0.0.1:5432/autobook",
    );
    let left = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let url = autobook_roles::services::replace_database(&server, "postgres");
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&database)
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        exists
    });
    assert!(!left, "the bench database {database} was left behind");
}
