//! Tunable rules of the saga: ranking weights, retry budgets, how trips
//! are watched, and the margins kept before deadlines and hold lapses.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::deadlines::StepDeadlines;

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

/// How a trip with no acceptable offer is watched: re-searched every
/// `interval` (more often as the deadline nears), each wait moved by up to
/// `jitter` of itself so that trips filed together do not search together.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchPolicy {
    /// Wait between searches while the deadline is far.
    pub interval: Duration,
    /// Shortest wait between searches, however near the deadline.
    pub min_interval: Duration,
    /// Within this of the deadline the wait shrinks in proportion to the
    /// time left (half the time left: half the interval).
    pub tighten_within: Duration,
    /// Each wait is moved by up to this fraction of itself (0.0 to 0.5).
    pub jitter: f64,
    /// Longest a trip is watched from its arrival, whatever its dates.
    /// None: until the booking deadline.
    pub max_watch: Option<Duration>,
}

impl Default for WatchPolicy {
    fn default() -> Self {
        WatchPolicy {
            interval: Duration::from_secs(6 * 3600),
            min_interval: Duration::from_secs(15 * 60),
            tighten_within: Duration::from_secs(7 * 24 * 3600),
            jitter: 0.2,
            max_watch: None,
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
    /// Watching trips with no acceptable offer; None fails them at once.
    pub watch: Option<WatchPolicy>,
    /// The booking deadline is the start of the departure day at the
    /// origin less this margin (or the traveller's book-by date if earlier).
    pub deadline_margin: Duration,
    /// How long a card hold lasts before the card network lets it lapse
    /// (seven days for customer-initiated card payments).
    pub hold_lapse: Duration,
    /// A hold still needed this long before it lapses is dealt with: the
    /// booking is finished or the hold released.
    pub hold_lapse_guard: Duration,
    /// How long each step may wait for its worker's reply before the
    /// command is sent again.
    pub step_deadlines: StepDeadlines,
    /// Re-sends of a step that got no reply before the saga is stuck.
    pub max_step_resends: u32,
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
            watch: Some(WatchPolicy::default()),
            deadline_margin: Duration::from_secs(6 * 3600),
            hold_lapse: Duration::from_secs(7 * 24 * 3600),
            hold_lapse_guard: Duration::from_secs(24 * 3600),
            step_deadlines: StepDeadlines::default(),
            max_step_resends: 3,
        }
    }
}
