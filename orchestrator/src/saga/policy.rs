//! Tunable rules of the saga: ranking weights and retry budgets.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Relative weight of each ranking criterion; lower normalized cost wins.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RankingWeights {
    pub price: f64,
    pub duration: f64,
    pub stops: f64,
}

impl Default for RankingWeights {
    /// The product's weights: price 60 %, duration 25 %, stops 15 %.
    fn default() -> Self {
        RankingWeights {
            price: 0.60,
            duration: 0.25,
            stops: 0.15,
        }
    }
}

/// The saga's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub weights: RankingWeights,
    /// Searches per saga, the first included; an expired or repriced offer
    /// leads back to search until this many have been made.
    pub max_searches: u32,
    /// Offers expiring sooner than this are not selected: there must be time
    /// to authorize and order.
    pub min_offer_validity: Duration,
    /// Wait before the first re-check of a step whose outcome is unknown;
    /// each further re-check waits twice as long, up to `max_retry_delay`.
    pub recheck_delay: Duration,
    /// Re-checks of an unknown outcome before the saga is stuck.
    pub max_rechecks: u32,
    /// Wait before the first retry of a failed compensation; doubles.
    pub compensation_retry_delay: Duration,
    /// Failed compensation attempts before the saga is stuck.
    pub max_compensation_attempts: u32,
    /// Longest wait between re-checks or compensation retries.
    pub max_retry_delay: Duration,
}

impl Policy {
    /// The wait before attempt `n` (from 0) of something that started at `base`.
    pub fn backoff(&self, base: Duration, n: u32) -> Duration {
        base.saturating_mul(1u32 << n.min(16))
            .min(self.max_retry_delay)
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            weights: RankingWeights::default(),
            max_searches: 3,
            min_offer_validity: Duration::from_secs(60),
            recheck_delay: Duration::from_secs(5),
            max_rechecks: 6,
            compensation_retry_delay: Duration::from_secs(5),
            max_compensation_attempts: 8,
            max_retry_delay: Duration::from_secs(600),
        }
    }
}
