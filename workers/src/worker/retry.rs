//! Retrying provider calls with exponential backoff (backon).
//!
//! What is retried follows the error's exhaustive classification:
//! retryable errors always; "outcome unknown" errors only for calls the
//! provider de-duplicates by idempotency key (Stripe, email), where asking
//! again *is* looking the result up; permanent errors never.
//!
//! A 429 blocks the provider's shared bucket until the reset the provider
//! announced (or [`DEFAULT_RATE_LIMIT_PAUSE`] when it announced none); the
//! retry waits at least that long and then for a token like any call. A
//! call still refused with a 429 when its retries run out starts over, up
//! to [`RetryPolicy::rate_limited_rounds`] times: being told to slow down
//! is not a failure of the call.

use std::future::Future;
use std::time::Duration;

use autobook_throttle::Throttle;
use backon::{ExponentialBuilder, Retryable};

use crate::providers::{ErrorClass, Provider, ProviderError, RateLimits};

/// The pause after a 429 that announced no reset.
pub const DEFAULT_RATE_LIMIT_PAUSE: Duration = Duration::from_secs(1);

/// Backoff settings for provider calls.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Times a call whose retries ended on a 429 starts over before it
    /// gives up (and the command is retried later through the broker).
    pub rate_limited_rounds: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries: 5,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(2),
            rate_limited_rounds: 5,
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
    pub throttle: Throttle<RateLimits>,
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
        let mut rounds = 0;
        loop {
            match with_retries(&self.policy, repeatable, &mut attempt).await {
                Err(error @ ProviderError::RateLimited { .. })
                    if rounds < self.policy.rate_limited_rounds =>
                {
                    rounds += 1;
                    tracing::debug!(%error, rounds, "still rate limited; starting over");
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn caller(retries: usize, rate_limited_rounds: usize) -> Caller {
        Caller {
            provider: Provider::Stripe,
            policy: RetryPolicy {
                retries,
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(1),
                rate_limited_rounds,
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
    async fn a_call_still_refused_after_its_retries_starts_over() {
        // Two attempts a round: refused in the first round, through in the second.
        let (result, calls) = run(&caller(1, 1), 3).await;
        assert_eq!(result.unwrap(), 7);
        assert_eq!(calls, 4);
    }

    #[tokio::test]
    async fn a_call_gives_up_after_its_rounds() {
        let (result, calls) = run(&caller(1, 2), 10).await;
        assert!(matches!(result, Err(ProviderError::RateLimited { .. })));
        assert_eq!(calls, 6, "three rounds of two attempts");
    }

    #[tokio::test]
    async fn without_rounds_a_429_counts_like_any_retryable_error() {
        let (result, calls) = run(&caller(4, 0), 10).await;
        assert!(matches!(result, Err(ProviderError::RateLimited { .. })));
        assert_eq!(calls, 5);
    }
}
