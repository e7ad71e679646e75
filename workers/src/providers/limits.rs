//! How fast each provider may be called: [`RateLimits`], which the rate
//! limiter (`autobook_throttle::Throttle<RateLimits>`) holds every worker's
//! calls to, one bucket per [`Provider`].

use autobook_throttle::{Limited, Limits, RateLimit};

use super::error::Provider;

/// The limit of each provider (`None`: unlimited) and the share of it a
/// process allows itself while Redis is unreachable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub duffel: Option<RateLimit>,
    pub stripe: Option<RateLimit>,
    pub email: Option<RateLimit>,
    pub fallback_share: f64,
}

impl RateLimits {
    pub const DEFAULT_FALLBACK_SHARE: f64 = 0.25;
}

impl Limits for RateLimits {
    type Key = Provider;

    fn of(&self, provider: Provider) -> Option<RateLimit> {
        match provider {
            Provider::Duffel => self.duffel,
            Provider::Stripe => self.stripe,
            Provider::Email => self.email,
        }
    }

    fn fallback_share(&self) -> f64 {
        self.fallback_share
    }
}

impl Limited for Provider {
    fn label(&self) -> &'static str {
        self.as_str()
    }
}
