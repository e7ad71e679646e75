//! Provider rate limits across processes, against the real Redis and the
//! sandbox enforcing limits over HTTP: worker processes sharing one limit
//! below the sandbox's never get a 429 and together stay within the
//! limit; a worker configured above the sandbox's limit is refused and
//! still books every trip by backing off.
//!
//! The call rate is read from the sandbox ledger's traffic figures (what
//! the sandbox saw), never from the test's own clock.

#![allow(clippy::unwrap_used)]

mod support;

use autobook_sandbox::{ApiRateLimits, LedgerTraffic, SandboxConfig};
use support::{Role, System};

const APIS: [&str; 3] = ["duffel", "stripe", "email"];

fn sandbox_limited_to(per_second: u32) -> SandboxConfig {
    SandboxConfig {
        rate_limits: ApiRateLimits {
            duffel: Some(per_second),
            stripe: Some(per_second),
            email: Some(per_second),
        },
        ..SandboxConfig::default()
    }
}

/// Every provider limited to `rate` a second with a burst of `burst`.
fn worker_limits(rate: u32, burst: u32) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    for provider in ["DUFFEL", "STRIPE", "EMAIL"] {
        env.push((leak(format!("{provider}_RATE_LIMIT")), rate.to_string()));
        env.push((leak(format!("{provider}_RATE_BURST")), burst.to_string()));
    }
    env
}

fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

fn start_workers(system: &System, n: usize, env: &[(&str, String)]) -> Vec<Role> {
    (0..n)
        .map(|_| system.start(&["worker", "all"], env))
        .collect()
}

/// Whether the calls the sandbox saw fit a token bucket of `rate` and
/// `burst`: at most `burst + rate * t` in any `t`, checked over one second
/// (the peak) and over the whole run. A token fixes when a call may go,
/// not when the sandbox gets to it: a busy machine (two cores, several
/// processes) can hold a call back and land it next to later ones, so one
/// second of such delay is allowed for.
fn within(traffic: &LedgerTraffic, rate: u32, burst: u32) -> bool {
    const DELAY_SECS: f64 = 1.0;
    let span = traffic.span_ms as f64 / 1000.0;
    let run_allows = f64::from(burst) + f64::from(rate) * (span + DELAY_SECS);
    let second_allows = f64::from(burst) + f64::from(rate) * (1.0 + DELAY_SECS);
    f64::from(traffic.peak_per_second) <= second_allows && traffic.requests as f64 <= run_allows
}

/// One test at a time: their load would delay each other's calls.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_sharing_a_limit_below_the_providers_are_never_refused() {
    let _serial = SERIAL.lock().await;
    let (rate, burst) = (3, 2);
    let system = System::new("shared-limit", sandbox_limited_to(15)).await;
    let _orchestrator = system.start(&["orchestrator"], &[]);
    let _workers = start_workers(&system, 2, &worker_limits(rate, burst));
    let ids = system.submit(20).await;
    system.all_booked_and_reconciled(&ids, "shared limit").await;
    let ledger = system.sandbox.ledger();
    for api in APIS {
        let traffic = &ledger.traffic[api];
        eprintln!("{api}: {traffic:?}");
        assert_eq!(traffic.too_many_requests, 0, "{api}: {traffic:?}");
        assert!(traffic.requests >= ids.len() as u64, "{api}: {traffic:?}");
        assert!(
            within(traffic, rate, burst),
            "{api} saw more than {rate}/s with a burst of {burst}: {traffic:?}"
        );
    }
    system.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_allowed_more_than_the_provider_backs_off_and_books_everything() {
    let _serial = SERIAL.lock().await;
    let system = System::new("over-limit", sandbox_limited_to(4)).await;
    let _orchestrator = system.start(&["orchestrator"], &[]);
    let _workers = start_workers(&system, 1, &worker_limits(100, 20));
    let ids = system.submit(12).await;
    system
        .all_booked_and_reconciled(&ids, "over the limit")
        .await;
    let ledger = system.sandbox.ledger();
    let traffic = &ledger.traffic["duffel"];
    assert!(
        traffic.too_many_requests > 0,
        "twelve searches at once go over 4/s: {traffic:?}"
    );
    for api in APIS {
        assert!(
            ledger.traffic[api].peak_per_second <= 4,
            "{api}: the sandbox enforced its limit"
        );
    }
    system.teardown().await;
}
