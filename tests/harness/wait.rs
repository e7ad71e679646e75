//! Waiting for a condition (a row, a state, a message) with a deadline,
//! instead of sleeping for a guessed time.

use std::future::Future;
use std::time::Duration;

/// Polls `check` until it yields a value or `timeout` passes.
pub async fn until<T, F, Fut>(timeout: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
