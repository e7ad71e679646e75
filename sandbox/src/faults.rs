//! Fault rates ([`Faults`]) and the named scenarios, plus the draws made
//! from them: what one request meets on arrival ([`RequestDraw`]) and how
//! the answer to an applied effect is lost ([`AnswerLoss`]).
//!
//! Rates are probabilities in `0.0..=1.0`. On the admin API durations are in
//! milliseconds (`latency_ms: [min, max]`, `timeout_delay_ms`,
//! `slow_delay_ms`).

use std::time::Duration;

use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

/// Probabilities of every injected fault; all zero by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Uniform extra latency per request, (min, max) in milliseconds.
    pub latency_ms: (u64, u64),
    /// A 503 or 429 answered before any effect (never stored for idempotency).
    pub transient_error_rate: f64,
    /// A 429 answered before any effect (never stored for idempotency).
    pub rate_limited_rate: f64,
    /// A request is held `slow_delay` longer than its latency.
    pub slow_rate: f64,
    /// How much longer a slow request takes.
    #[serde(rename = "slow_delay_ms", with = "millis")]
    pub slow_delay: Duration,
    /// Order creation: the offer turns expired (422 offer_no_longer_available).
    pub offer_expired_rate: f64,
    /// Order creation: the offer's price rises 3-15% (422 price_changed).
    pub price_change_rate: f64,
    /// Order creation: permanent airline refusal (422 airline_error).
    pub order_failure_rate: f64,
    /// Capture: the hold has lapsed (intent canceled, 400).
    pub capture_failure_rate: f64,
    /// Email: permanent rejection (422 validation_error "recipient rejected").
    pub email_failure_rate: f64,
    /// The effect is applied, then the response is delayed by `timeout_delay`.
    pub timeout_after_effect_rate: f64,
    /// The effect is applied, then a 500 is answered (and stored under the
    /// idempotency key where the provider has them).
    pub server_error_after_effect_rate: f64,
    /// How long a "timeout after effect" response is held back.
    #[serde(rename = "timeout_delay_ms", with = "millis")]
    pub timeout_delay: Duration,
    /// Search: each offer is answered for another route (its outbound
    /// slice lands back where it left), a supplier's mistake.
    pub wrong_route_rate: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            latency_ms: (0, 0),
            transient_error_rate: 0.0,
            rate_limited_rate: 0.0,
            slow_rate: 0.0,
            slow_delay: Duration::from_secs(2),
            offer_expired_rate: 0.0,
            price_change_rate: 0.0,
            order_failure_rate: 0.0,
            capture_failure_rate: 0.0,
            email_failure_rate: 0.0,
            timeout_after_effect_rate: 0.0,
            server_error_after_effect_rate: 0.0,
            timeout_delay: Duration::from_secs(30),
            wrong_route_rate: 0.0,
        }
    }
}

/// A fault setting that cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultsError {
    #[error("{field} must be a probability between 0.0 and 1.0")]
    RateOutOfRange { field: &'static str },
    #[error("latency_ms minimum is above its maximum")]
    LatencyRange,
}

impl Faults {
    /// The named scenarios: `happy`, `mixed`, `flaky` and `hostile` (every
    /// fault at once, answers lost after effects included).
    pub fn scenario(name: &str) -> Option<Faults> {
        match name {
            "happy" => Some(Faults {
                latency_ms: (2, 15),
                ..Faults::default()
            }),
            "mixed" => Some(Faults {
                latency_ms: (2, 20),
                transient_error_rate: 0.02,
                offer_expired_rate: 0.08,
                price_change_rate: 0.05,
                order_failure_rate: 0.05,
                capture_failure_rate: 0.05,
                email_failure_rate: 0.08,
                ..Faults::default()
            }),
            "flaky" => Some(Faults {
                latency_ms: (5, 80),
                transient_error_rate: 0.15,
                ..Faults::default()
            }),
            "hostile" => Some(Faults {
                latency_ms: (5, 80),
                transient_error_rate: 0.05,
                rate_limited_rate: 0.05,
                slow_rate: 0.05,
                slow_delay: Duration::from_millis(1500),
                offer_expired_rate: 0.05,
                price_change_rate: 0.05,
                order_failure_rate: 0.03,
                capture_failure_rate: 0.03,
                email_failure_rate: 0.05,
                timeout_after_effect_rate: 0.05,
                server_error_after_effect_rate: 0.05,
                wrong_route_rate: 0.02,
                timeout_delay: Duration::from_secs(10),
            }),
            _ => None,
        }
    }

    /// Checks that every rate is a probability and the latency range is
    /// ordered.
    pub fn validate(&self) -> Result<(), FaultsError> {
        let rates = [
            ("transient_error_rate", self.transient_error_rate),
            ("rate_limited_rate", self.rate_limited_rate),
            ("slow_rate", self.slow_rate),
            ("offer_expired_rate", self.offer_expired_rate),
            ("price_change_rate", self.price_change_rate),
            ("order_failure_rate", self.order_failure_rate),
            ("capture_failure_rate", self.capture_failure_rate),
            ("email_failure_rate", self.email_failure_rate),
            ("timeout_after_effect_rate", self.timeout_after_effect_rate),
            (
                "server_error_after_effect_rate",
                self.server_error_after_effect_rate,
            ),
            ("wrong_route_rate", self.wrong_route_rate),
        ];
        for (field, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultsError::RateOutOfRange { field });
            }
        }
        if self.latency_ms.0 > self.latency_ms.1 {
            return Err(FaultsError::LatencyRange);
        }
        Ok(())
    }

    /// What one request meets on arrival: its latency (slow or not) and
    /// the error answered before any effect, if any.
    pub(crate) fn draw_request(&self, rng: &mut StdRng) -> RequestDraw {
        let mut latency = self.draw_latency(rng);
        let mut transient = roll(rng, self.transient_error_rate).then(|| Transient::draw(rng));
        if transient.is_none() && roll(rng, self.rate_limited_rate) {
            transient = Some(Transient::RateLimited);
        }
        let slow = roll(rng, self.slow_rate);
        if slow {
            latency += self.slow_delay;
        }
        RequestDraw {
            latency,
            slow,
            transient,
        }
    }

    /// How the answer to an effect just applied is lost, if it is: a 500
    /// first, else a held-back answer.
    pub(crate) fn draw_answer_loss(&self, rng: &mut StdRng) -> Option<AnswerLoss> {
        if roll(rng, self.server_error_after_effect_rate) {
            return Some(AnswerLoss::ServerError);
        }
        roll(rng, self.timeout_after_effect_rate).then_some(AnswerLoss::Timeout)
    }

    pub(crate) fn draw_latency(&self, rng: &mut StdRng) -> Duration {
        let (low, high) = self.latency_ms;
        let (low, high) = (low.min(high), low.max(high));
        if high == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rng.random_range(low..=high))
    }
}

/// True with probability `rate`; a zero (or invalid) rate draws nothing, so
/// turning a fault off does not shift the random stream of other draws.
pub(crate) fn roll(rng: &mut StdRng, rate: f64) -> bool {
    if rate.is_nan() || rate <= 0.0 {
        return false;
    }
    rng.random::<f64>() < rate
}

/// What one request met on arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestDraw {
    /// Injected latency, the slow delay included.
    pub(crate) latency: Duration,
    /// Whether the slow fault added `slow_delay`.
    pub(crate) slow: bool,
    /// The error answered before any effect.
    pub(crate) transient: Option<Transient>,
}

/// How the answer to an applied effect is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnswerLoss {
    /// A 500 is answered (stored under the idempotency key, if any).
    ServerError,
    /// The answer is held back by `timeout_delay`.
    Timeout,
}

/// What an injected transient error looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transient {
    /// 429, with a retry hint.
    RateLimited,
    /// 503.
    Unavailable,
}

impl Transient {
    /// Picks 429 or 503 with equal odds.
    pub(crate) fn draw(rng: &mut StdRng) -> Transient {
        if rng.random::<bool>() {
            Transient::RateLimited
        } else {
            Transient::Unavailable
        }
    }
}

/// Durations as whole milliseconds on the wire.
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        let millis = u64::try_from(value.as_millis()).unwrap_or(u64::MAX);
        serializer.serialize_u64(millis)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_valid_and_named() {
        for name in ["happy", "mixed", "flaky", "hostile"] {
            let faults = Faults::scenario(name).unwrap();
            faults.validate().unwrap();
        }
        assert!(Faults::scenario("chaos").is_none());
        let flaky = Faults::scenario("flaky").unwrap();
        assert_eq!(flaky.order_failure_rate, 0.0);
        assert_eq!(flaky.transient_error_rate, 0.15);
    }

    #[test]
    fn json_uses_milliseconds_and_defaults() {
        let faults: Faults =
            serde_json::from_str(r#"{"latency_ms":[1,5],"timeout_delay_ms":250}"#).unwrap();
        assert_eq!(faults.latency_ms, (1, 5));
        assert_eq!(faults.timeout_delay, Duration::from_millis(250));
        assert_eq!(faults.transient_error_rate, 0.0);
        let back = serde_json::to_value(&faults).unwrap();
        assert_eq!(back["timeout_delay_ms"], 250);
        assert!(serde_json::from_str::<Faults>(r#"{"bogus":1}"#).is_err());
        let slow: Faults = serde_json::from_str(r#"{"slow_rate":0.5,"slow_delay_ms":40}"#).unwrap();
        assert_eq!(slow.slow_delay, Duration::from_millis(40));
    }

    #[test]
    fn zero_rates_draw_nothing_so_other_draws_stay_in_step() {
        use rand::SeedableRng;
        let mut plain = StdRng::seed_from_u64(4);
        let mut with_new_knobs = StdRng::seed_from_u64(4);
        let faults = Faults {
            latency_ms: (1, 9),
            ..Faults::default()
        };
        let first = faults.draw_request(&mut plain);
        let second = faults.draw_request(&mut with_new_knobs);
        assert_eq!(first, second);
        assert_eq!(faults.draw_answer_loss(&mut plain), None);
        assert_eq!(plain.random::<u64>(), with_new_knobs.random::<u64>());
    }

    #[test]
    fn certain_faults_are_drawn() {
        use rand::SeedableRng;
        let mut rng = StdRng::seed_from_u64(4);
        let faults = Faults {
            rate_limited_rate: 1.0,
            slow_rate: 1.0,
            slow_delay: Duration::from_millis(70),
            server_error_after_effect_rate: 1.0,
            ..Faults::default()
        };
        let draw = faults.draw_request(&mut rng);
        assert_eq!(
            draw,
            RequestDraw {
                latency: Duration::from_millis(70),
                slow: true,
                transient: Some(Transient::RateLimited)
            }
        );
        assert_eq!(
            faults.draw_answer_loss(&mut rng),
            Some(AnswerLoss::ServerError)
        );
        let timeouts = Faults {
            timeout_after_effect_rate: 1.0,
            ..Faults::default()
        };
        assert_eq!(
            timeouts.draw_answer_loss(&mut rng),
            Some(AnswerLoss::Timeout)
        );
    }

    #[test]
    fn validation_rejects_bad_rates() {
        let faults = Faults {
            email_failure_rate: 1.5,
            ..Faults::default()
        };
        assert!(faults.validate().is_err());
        let faults = Faults {
            latency_ms: (9, 1),
            ..Faults::default()
        };
        assert_eq!(faults.validate(), Err(FaultsError::LatencyRange));
    }
}
