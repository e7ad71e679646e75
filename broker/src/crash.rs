//! Crash points, a test switch: with `AUTOBOOK_CRASH_AT=<point>` (or
//! `<point>@<n>`) the process aborts, as abruptly as a SIGKILL, the n-th
//! time (default: the first) it passes the named point. Crash tests use
//! it to stop a role exactly between two effects (after a commit and
//! before the publish, after a provider call and before the reply). Unset,
//! a point costs one lookup of a value read once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The environment variable naming the crash point.
pub const CRASH_AT_ENV: &str = "AUTOBOOK_CRASH_AT";

/// Every crash point in the code, for validation and documentation.
pub const POINTS: &[&str] = &[
    "orchestrator.before_commit",
    "orchestrator.after_commit",
    "relay.before_publish",
    "relay.after_publish",
    "worker.before_call",
    "worker.after_call",
    "worker.after_store",
    "payment.after_create",
    "payment.after_record",
];

static TARGET: OnceLock<Option<(String, u64)>> = OnceLock::new();
static PASSES: AtomicU64 = AtomicU64::new(0);

fn target() -> &'static Option<(String, u64)> {
    TARGET.get_or_init(|| {
        let value = std::env::var(CRASH_AT_ENV).ok()?;
        let (name, nth) = match value.split_once('@') {
            Some((name, n)) => (name.to_owned(), n.parse().unwrap_or(1)),
            None => (value, 1),
        };
        if !POINTS.contains(&name.as_str()) {
            eprintln!(
                "{CRASH_AT_ENV}: unknown crash point; known: {}",
                POINTS.join(", ")
            );
            return None;
        }
        Some((name, nth.max(1)))
    })
}

/// Aborts the process if this is the configured point and pass.
pub fn point(name: &'static str) {
    debug_assert!(POINTS.contains(&name), "undeclared crash point {name}");
    if let Some((target, nth)) = target()
        && target == name
        && PASSES.fetch_add(1, Ordering::SeqCst) + 1 == *nth
    {
        eprintln!("crash point {name} reached: aborting");
        std::process::abort();
    }
}
