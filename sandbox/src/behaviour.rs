//! Provider behaviours that make the sandbox as hard as the real services,
//! on by default ([`Behaviour`]): Stripe's search answers from an index
//! that lags writes, and webhooks arrive late, sometimes twice, and so out
//! of order. A focused test can turn each off.
//!
//! On the admin API (`GET|PUT /behaviour`) durations are in milliseconds:
//! `{"stripe_search_lag_ms": 30000, "webhook_delay_ms": [0, 3000],
//! "webhook_duplicate_rate": 0.1}`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::faults::millis;

/// The longest search lag the sandbox imitates.
pub const MAX_SEARCH_LAG: Duration = Duration::from_secs(3600);

/// How far the sandbox imitates the providers' harder behaviours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// `GET /v1/payment_intents/search` answers with each intent as it
    /// stood this long ago on the sandbox clock (Stripe: "under normal
    /// operating conditions, data is searchable in under 1 minute").
    /// Zero: search is up to date.
    #[serde(rename = "stripe_search_lag_ms", with = "millis")]
    pub stripe_search_lag: Duration,
    /// Every webhook delivery waits a uniform random time in this range,
    /// (min, max) in milliseconds, before its first attempt, so a later
    /// event of an object can overtake an earlier one.
    pub webhook_delay_ms: (u64, u64),
    /// Share of events delivered twice (each copy with its own delay).
    pub webhook_duplicate_rate: f64,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            stripe_search_lag: Duration::from_secs(30),
            webhook_delay_ms: (0, 3_000),
            webhook_duplicate_rate: 0.1,
        }
    }
}

/// A behaviour setting that cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BehaviourError {
    #[error("webhook_duplicate_rate must be a probability between 0.0 and 1.0")]
    DuplicateRate,
    #[error("webhook_delay_ms minimum is above its maximum")]
    DelayRange,
    #[error("stripe_search_lag_ms must be at most one hour")]
    SearchLag,
}

impl Behaviour {
    /// Every behaviour off: search up to date, each webhook sent at once
    /// and once. For focused tests of something else.
    pub fn lenient() -> Self {
        Behaviour {
            stripe_search_lag: Duration::ZERO,
            webhook_delay_ms: (0, 0),
            webhook_duplicate_rate: 0.0,
        }
    }

    /// Checks the rate and the delay range.
    pub fn validate(&self) -> Result<(), BehaviourError> {
        if !(0.0..=1.0).contains(&self.webhook_duplicate_rate) {
            return Err(BehaviourError::DuplicateRate);
        }
        if self.webhook_delay_ms.0 > self.webhook_delay_ms.1 {
            return Err(BehaviourError::DelayRange);
        }
        if self.stripe_search_lag > MAX_SEARCH_LAG {
            return Err(BehaviourError::SearchLag);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_by_default_and_off_when_lenient() {
        let on = Behaviour::default();
        assert!(on.stripe_search_lag > Duration::ZERO);
        assert!(on.webhook_delay_ms.1 > 0 && on.webhook_duplicate_rate > 0.0);
        on.validate().unwrap();
        Behaviour::lenient().validate().unwrap();
    }

    #[test]
    fn json_uses_milliseconds_and_is_checked() {
        let behaviour: Behaviour =
            serde_json::from_str(r#"{"stripe_search_lag_ms":0,"webhook_delay_ms":[5,9]}"#).unwrap();
        assert_eq!(behaviour.stripe_search_lag, Duration::ZERO);
        assert_eq!(behaviour.webhook_duplicate_rate, 0.1, "default kept");
        assert!(serde_json::from_str::<Behaviour>(r#"{"lag":1}"#).is_err());
        let backwards = Behaviour {
            webhook_delay_ms: (9, 5),
            ..Behaviour::default()
        };
        assert_eq!(backwards.validate(), Err(BehaviourError::DelayRange));
        let rate = Behaviour {
            webhook_duplicate_rate: 1.5,
            ..Behaviour::default()
        };
        assert_eq!(rate.validate(), Err(BehaviourError::DuplicateRate));
        let lag = Behaviour {
            stripe_search_lag: MAX_SEARCH_LAG * 2,
            ..Behaviour::default()
        };
        assert_eq!(lag.validate(), Err(BehaviourError::SearchLag));
    }
}
