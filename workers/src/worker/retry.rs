//! Retrying provider calls with exponential backoff (backon).
//!
//! What is retried follows the error's exhaustive classification:
//! retryable errors always; "outcome unknown" errors only for calls the
//! provider de-duplicates by idempotency key (Stripe, email), where asking
//! again *is* looking the result up; permanent errors never.
//!
//! A 429 is retried apart from the backoff, with its own budget
//! ([`RetryPolicy::rate_limited_retries`]): it blocks the provider's shared
//! bucket until the reset the provider announced (or
//! [`DEFAULT_RATE_LIMIT_PAUSE`] when it announced none), and the next
//! attempt waits for a token like any call. Being told to slow down is not
//! a failure of the call.

use std::future::Future;
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use crate::providers::{ErrorClass, Provider, ProviderError};

use super::throttle::Throttle;

/// The pause after a 429 that announced no reset.
pub const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// Backoff settings for provider calls.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// 429 answers a call may get before it gives up (and the command is
    /// retried later through the broker).
    pub rate_limited_retries: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            rate_limited_retries: 30,
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
    /// Runs `op`, each attempt waiting for a token first.
    pub async fn call<T, F, Fut>(
        &self,
        repeatable: Repeatable,
        mut op: F,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = || {
            let call = op();
            async move {
                self.throttle.acquire(self.provider).await;
                let result = call.await;
                if let Err(ProviderError::RateLimited { retry_after, .. }) = &result {
                    let pause = retry_after.unwrap_or(DEFAULT_RATE_LIMIT_PAUSE);
                    if !self.throttle.block(self.provider, pause).await {
                        tokio::time::sleep(pause).await;
                    }
                }
                result
            }
        };
        let mut rate_limited = 0;
        loop {
            match with_retries(&self.policy, repeatable, &mut attempt).await {
                Err(error @ ProviderError::RateLimited { .. }) => {
                    rate_limited += 1;
                    if rate_limited > self.policy.rate_limited_retries {
                        return Err(error);
                    }
                }
                result => return result,
            }
        }
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
            // The caller paces 429s through the rate limiter instead.
            ErrorClass::Retryable => !matches!(error, ProviderError::RateLimited { .. }),
            ErrorClass::OutcomeUnknown => repeatable == Repeatable::ByIdempotencyKey,
            ErrorClass::Permanent => false,
        })
        .notify(|error: &ProviderError, delay| {
            tracing::debug!(%error, delay_ms = delay.as_millis() as u64, "provider call failed; retrying");
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn caller(rate_limited_retries: usize) -> Caller {
        Caller {
            provider: Provider::Stripe,
            policy: RetryPolicy {
                retries: 0,
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
                rate_limited_retries,
            },
            throttle: Throttle::disabled(),
        }
    }

    /// Answers 429 `refusals` times, then succeeds; counts the calls.
    async fn run(caller: &Caller, refusals: usize) -> (Result<u8, ProviderError>, usize) {
        let calls = AtomicUsize::new(0);
        let result = caller
            .call(Repeatable::No, || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < refusals {
                        Err(ProviderError::RateLimited {
                            provider: Provider::Stripe,
                            retry_after: Some(Duration::from_millis(1)),
                        })
                    } else {
                        Ok(7)
                    }
                }
            })
            .await;
        (result, calls.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_429_is_retried_on_its_own_budget_not_the_backoffs() {
        let (result, calls) = run(&caller(3), 3).await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls, 4, "no backoff retries were configured");
    }

    #[tokio::test]
    async fn a_call_gives_up_after_its_429_budget() {
        let (result, calls) = run(&caller(2), 10).await;
        assert!(matches!(result, Err(ProviderError::RateLimited { .. })));
        assert_eq!(calls, 3);
    }
}
