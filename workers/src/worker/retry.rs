//! Retrying provider calls with exponential backoff (backon).
//!
//! What is retried follows the error's exhaustive classification:
//! retryable errors always; "outcome unknown" errors only for calls the
//! provider de-duplicates by idempotency key (Stripe, email), where asking
//! again *is* looking the result up; permanent errors never.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::providers::{ErrorClass, Provider, ProviderError};

use super::throttle::Throttle;

/// Backoff settings for provider calls.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// Whether an unknown outcome may be settled by asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeatable {
    /// The provider de-duplicates this call by idempotency key.
    ByIdempotencyKey,
    /// Asking again could repeat the effect: never retry an unknown outcome.
    No,
}

/// How a service calls its provider: under the shared rate limit, with
/// retries.
#[derive(Debug, Clone)]
pub struct Caller {
    pub provider: Provider,
    pub policy: RetryPolicy,
    pub throttle: Throttle,
}

impl Caller {
    /// Runs `op`, each attempt waiting for a rate-limit slot first.
    pub async fn call<T, F, Fut>(
        &self,
        repeatable: Repeatable,
        mut op: F,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let attempt = || {
            let call = op();
            async move {
                self.throttle.acquire(self.provider).await;
                call.await
            }
        };
        with_retries(&self.policy, repeatable, attempt).await
    }
}

/// Runs `op` with retries per `policy`.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    repeatable: Repeatable,
    op: F,
) -> Result<T, ProviderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.min_delay)
        .with_max_delay(policy.max_delay)
        .with_max_times(policy.retries)
        .with_jitter();
    op.retry(backoff)
        .when(move |error: &ProviderError| match error.class() {
            ErrorClass::Retryable => true,
            ErrorClass::OutcomeUnknown => repeatable == Repeatable::ByIdempotencyKey,
            ErrorClass::Permanent => false,
        })
        .adjust(|error: &ProviderError, delay| match error {
            ProviderError::RateLimited { retry_after: Some(after), .. } => delay.map(|d| d.max(*after)),
            _ => delay,
        })
        .notify(|error: &ProviderError, delay| {
            tracing::debug!(%error, delay_ms = delay.as_millis() as u64, "provider call failed; retrying");
        })
        .await
}
