//! The `watch` scenario: trips whose limit is below today's fare, watched
//! while the sandbox's fares move on a seeded schedule. Each trip is booked
//! the first time a search finds a fare within its limit, or released at
//! its deadline (its longest watch). The figures show that no trip was
//! released after a search had seen a fare within its limit, and that the
//! searches stayed within the configured Duffel rate.

use std::time::Duration;

use serde::Serialize;

use autobook_contracts::Money;
use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::saga::{Phase, WatchPolicy};
use autobook_sandbox::{ApiRateLimits, Ledger, PriceMotion};
use autobook_throttle::RateLimit;
use autobook_workers::providers::RateLimits;

use crate::stack::StackConfig;

/// The share of Duffel's limit the workers allow themselves.
pub const OUR_SHARE: f64 = 0.9;

/// How the scenario watches and how fares move.
#[derive(Debug, Clone)]
pub struct WatchScenario {
    /// Wait between searches of one trip (moved by the jitter).
    pub interval: Duration,
    pub jitter: f64,
    /// Each trip is watched this long at most: its deadline.
    pub max_watch: Duration,
    /// Fares take a new level this often, within ±`amplitude`.
    pub price_period: Duration,
    pub amplitude: f64,
    /// Offer requests per second allowed by Duffel (the sandbox answers
    /// 429 above it); the workers' shared limit is [`OUR_SHARE`] of it.
    pub duffel_per_second: u32,
    /// Each trip's limit, as a share of its route's typical fare.
    pub limits: (f64, f64),
}

impl Default for WatchScenario {
    fn default() -> Self {
        WatchScenario {
            interval: Duration::from_secs(12),
            jitter: 0.25,
            max_watch: Duration::from_secs(60),
            price_period: Duration::from_secs(4),
            amplitude: 0.25,
            duffel_per_second: 80,
            limits: (0.55, 0.85),
        }
    }
}

impl WatchScenario {
    /// The scenario with each trip watched for `watch` (searches every
    /// fifth of it, fares moving fifteen times in it).
    pub fn lasting(watch: Duration) -> WatchScenario {
        let watch = watch.max(Duration::from_secs(1));
        WatchScenario {
            interval: watch / 5,
            max_watch: watch,
            price_period: (watch / 15).max(Duration::from_millis(100)),
            ..WatchScenario::default()
        }
    }

    /// Sets the stack up for the scenario.
    pub fn configure(&self, config: &mut StackConfig, seed: u64) {
        config.orchestrator.policy.watch = Some(WatchPolicy {
            interval: self.interval,
            min_interval: Duration::from_secs(1),
            tighten_within: Duration::ZERO,
            jitter: self.jitter,
            max_watch: Some(self.max_watch),
        });
        config.sandbox.price_motion = PriceMotion {
            seed,
            period: self.price_period,
            amplitude: self.amplitude,
        };
        config.sandbox.rate_limits = ApiRateLimits {
            duffel: Some(self.duffel_per_second),
            ..config.sandbox.rate_limits
        };
        // The workers keep a tenth below Duffel's limit: their bucket and
        // Duffel's one-second windows do not line up exactly.
        config.rate_limits = RateLimits {
            duffel: RateLimit::new(f64::from(self.duffel_per_second) * OUR_SHARE, 1),
            ..config.rate_limits
        };
    }
}

/// One watched trip as it ended.
pub struct WatchedTrip<'a> {
    pub phase: Option<&'a Phase>,
    pub max_price: Money,
    /// The cheapest fare any of its searches saw before the deadline.
    pub cheapest_seen: Option<Money>,
    pub searches: u32,
}

/// The scenario's own figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WatchFigures {
    pub booked: usize,
    /// Released at the deadline, no fare having come within the limit.
    pub released: usize,
    /// Released although a search had seen a fare within the limit
    /// (must be 0).
    pub missed: usize,
    /// Searches made by all trips.
    pub searches: u64,
    /// Booked trips that paid more than their limit (must be 0).
    pub over_limit: usize,
    /// Duffel requests, how many were refused with 429, the busiest
    /// second, and the configured rate.
    pub duffel_requests: u64,
    pub duffel_rate_limited: u64,
    pub duffel_peak_per_second: u32,
    pub duffel_limit_per_second: Option<u32>,
}

impl WatchFigures {
    /// Whether the run did what the scenario promises.
    pub fn clean(&self) -> bool {
        self.missed == 0 && self.over_limit == 0 && self.duffel_rate_limited == 0
    }
}

pub fn figures(trips: &[WatchedTrip<'_>], ledger: &Ledger) -> WatchFigures {
    let mut figures = WatchFigures {
        booked: 0,
        released: 0,
        missed: 0,
        searches: 0,
        over_limit: 0,
        duffel_requests: 0,
        duffel_rate_limited: 0,
        duffel_peak_per_second: 0,
        duffel_limit_per_second: None,
    };
    for trip in trips {
        figures.searches += u64::from(trip.searches);
        match trip.phase {
            Some(Phase::Booked { booking, .. }) => {
                figures.booked += 1;
                if booking.captured.amount_minor > trip.max_price.amount_minor {
                    figures.over_limit += 1;
                }
            }
            Some(Phase::Failed {
                reason: FailureReason::DeadlinePassed { .. },
                ..
            }) => {
                figures.released += 1;
                let within = trip.cheapest_seen.is_some_and(|seen| {
                    seen.currency == trip.max_price.currency
                        && seen.amount_minor <= trip.max_price.amount_minor
                });
                if within {
                    figures.missed += 1;
                }
            }
            _ => {}
        }
    }
    if let Some(duffel) = ledger.traffic.get("duffel") {
        figures.duffel_requests = duffel.requests;
        figures.duffel_rate_limited = duffel.too_many_requests;
        figures.duffel_peak_per_second = duffel.peak_per_second;
        figures.duffel_limit_per_second = duffel.limit_per_second;
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::*;
    use autobook_contracts::Currency;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::USD)
    }

    #[test]
    fn a_release_after_a_fare_within_the_limit_was_seen_is_a_miss() {
        let released = Phase::Failed {
            reason: FailureReason::DeadlinePassed {
                searches: 4,
                cheapest_seen: None,
                identity_documents_needed: false,
            },
            notified: true,
        };
        let trips = [
            WatchedTrip {
                phase: Some(&released),
                max_price: usd(30_000),
                cheapest_seen: Some(usd(32_000)),
                searches: 4,
            },
            WatchedTrip {
                phase: Some(&released),
                max_price: usd(30_000),
                cheapest_seen: Some(usd(30_000)),
                searches: 5,
            },
        ];
        let figures = figures(&trips, &Ledger::default());
        assert_eq!(figures.released, 2);
        assert_eq!(figures.missed, 1);
        assert_eq!(figures.searches, 9);
        assert!(!figures.clean());
    }
}
