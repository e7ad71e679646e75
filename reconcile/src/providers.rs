//! The providers the job reads (and, for a release, writes): their clients,
//! called under the shared rate limit with retries. Every call the job
//! makes is a read or carries an idempotency key, so asking again after an
//! unclear answer is safe.

use std::future::Future;

use autobook_throttle::Throttle;
use autobook_workers::providers::{
    DuffelClient, Provider, ProviderError, RateLimits, StripeClient,
};
use autobook_workers::worker::retry::{Caller, Repeatable, RetryPolicy};

/// The clients of the providers, and how they are called.
#[derive(Clone)]
pub struct Providers {
    pub stripe: StripeClient,
    pub duffel: DuffelClient,
    pub retry: RetryPolicy,
    /// The rate limit the workers share (disabled for a local run).
    pub throttle: Throttle<RateLimits>,
}

impl Providers {
    /// Clients called with the default retries and no rate limit.
    pub fn new(stripe: StripeClient, duffel: DuffelClient) -> Self {
        Providers {
            stripe,
            duffel,
            retry: RetryPolicy::default(),
            throttle: Throttle::disabled(),
        }
    }

    /// Runs a Stripe call with retries.
    pub async fn stripe_call<T, F, Fut>(&self, op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.caller(Provider::Stripe)
            .call(Repeatable::ByIdempotencyKey, op)
            .await
    }

    /// Runs a Duffel read with retries.
    pub async fn duffel_call<T, F, Fut>(&self, op: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.caller(Provider::Duffel)
            .call(Repeatable::ByIdempotencyKey, op)
            .await
    }

    fn caller(&self, provider: Provider) -> Caller {
        Caller {
            provider,
            policy: self.retry.clone(),
            throttle: self.throttle.clone(),
        }
    }
}
