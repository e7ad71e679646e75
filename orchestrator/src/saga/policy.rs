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
    /// Wait before asking again about an order whose outcome is unknown.
    pub order_recheck_delay: Duration,
    /// Re-checks of an unknown order outcome before a human is called.
    pub max_order_rechecks: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            weights: RankingWeights::default(),
            max_searches: 3,
            min_offer_validity: Duration::from_secs(60),
            order_recheck_delay: Duration::from_secs(5),
            max_order_rechecks: 5,
        }
    }
}
