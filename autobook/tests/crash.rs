//! Crash safety: a role process is aborted (as abruptly as SIGKILL) at a
//! named point between two effects (before or after a commit, between a
//! commit and its publish, after a provider call and before its reply),
//! then restarted. Every saga still finishes, and the sandbox's ledger
//! reconciles with the sagas: nothing charged twice, nothing ordered
//! twice, no hold left behind.

#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use autobook_sandbox::SandboxConfig;
use support::System;

const TRIPS: usize = 6;

/// Runs TRIPS bookings while the `crashing` role aborts at `point`, then
/// restarts it and checks that every saga finished and the ledger agrees.
async fn crash_and_recover(crashing: &str, point: &str) {
    crash_and_recover_with(crashing, point, SandboxConfig::default()).await;
}

async fn crash_and_recover_with(crashing: &str, point: &str, sandbox: SandboxConfig) {
    let system = System::new("crash", sandbox).await;
    let roles: [(&str, &[&str]); 2] = [
        ("orchestrator", &["orchestrator"]),
        ("worker", &["worker", "all"]),
    ];
    let mut running: Vec<_> = roles
        .iter()
        .map(|(name, args)| {
            let extra = if *name == crashing {
                vec![("AUTOBOOK_CRASH_AT", point.to_owned())]
            } else {
                Vec::new()
            };
            (*name, *args, system.start(args, &extra))
        })
        .collect();
    let ids = system.submit(TRIPS).await;

    // The crashing role must really die at its point; then it is restarted.
    let slot = running.iter().position(|(n, _, _)| *n == crashing).unwrap();
    let status = running[slot]
        .2
        .exited(Duration::from_secs(60))
        .await
        .unwrap_or_else(|| panic!("{crashing} never reached {point}"));
    assert_eq!(
        status.signal(),
        Some(6),
        "{crashing} should abort at {point}: {status:?}"
    );
    let args = running[slot].1;
    running[slot].2 = system.start(args, &[]);

    system.all_booked_and_reconciled(&ids, point).await;
    drop(running);
    system.teardown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orchestrator_killed_before_commit() {
    crash_and_recover("orchestrator", "orchestrator.before_commit@5").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orchestrator_killed_after_commit_before_ack() {
    crash_and_recover("orchestrator", "orchestrator.after_commit@9").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_after_commit_before_publish() {
    crash_and_recover("orchestrator", "relay.before_publish@4").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_killed_after_publish_before_marking() {
    crash_and_recover("orchestrator", "relay.after_publish@6").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_after_claim_before_call() {
    crash_and_recover("worker", "worker.before_call@8").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_after_provider_call_before_reply() {
    crash_and_recover("worker", "worker.after_call@10").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_after_call_early_in_the_saga() {
    crash_and_recover("worker", "worker.after_call@3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_after_storing_the_reply_before_publishing() {
    crash_and_recover("worker", "worker.after_store@12").await;
}

/// Stripe's search a minute behind, so a takeover that looked there would
/// find nothing and place a second hold.
fn search_lagging_a_minute() -> SandboxConfig {
    SandboxConfig {
        behaviour: autobook_sandbox::Behaviour {
            stripe_search_lag: Duration::from_secs(60),
            ..autobook_sandbox::Behaviour::default()
        },
        ..SandboxConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_after_creating_an_intent_before_recording_it() {
    crash_and_recover_with(
        "worker",
        "payment.after_create@2",
        search_lagging_a_minute(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_killed_after_recording_an_intent_before_confirming_it() {
    crash_and_recover_with(
        "worker",
        "payment.after_record@3",
        search_lagging_a_minute(),
    )
    .await;
}
