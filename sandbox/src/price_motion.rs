//! Price motion over time ([`PriceMotion`]): fares that rise and fall on the
//! sandbox clock, the same for everyone who searches at the same moment, so
//! a client that watches a trip sees prices cross its limit and back.
//!
//! Time is cut into steps of `period`; within a step a fare holds still. The
//! level of a fare at a step is a pure function of the seed, a key of the
//! offer (airline, flights, date, cabin) and the step index: a slow swing,
//! eased between random anchors eight steps apart, plus a smaller
//! part drawn afresh every step. Consecutive steps are therefore close, and
//! over a few swings a fare visits most of `±amplitude`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Steps between two anchors of the slow swing.
const SWING_STEPS: i64 = 8;
/// Share of the slow swing in a fare's level; the rest changes every step.
const SWING_WEIGHT: f64 = 0.8;
/// Highest amplitude: fares never fall below 10% of their base.
pub const MAX_AMPLITUDE: f64 = 0.9;

/// How fares move with the sandbox clock. Off (`amplitude` 0) by default:
/// then each search draws its own small random drift, as before.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriceMotion {
    /// Seed of the price paths (independent of the sandbox's seed).
    pub seed: u64,
    /// How long a price step lasts; `period_ms` on the wire.
    #[serde(rename = "period_ms", with = "crate::faults::millis")]
    pub period: Duration,
    /// Fares move within `±amplitude` of their base (0.25 = ±25%);
    /// 0 turns the motion off. At most [`MAX_AMPLITUDE`].
    pub amplitude: f64,
}

impl Default for PriceMotion {
    fn default() -> Self {
        PriceMotion {
            seed: 0,
            period: Duration::from_secs(60),
            amplitude: 0.0,
        }
    }
}

/// A price motion setting that cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PriceMotionError {
    #[error("amplitude must be between 0.0 and {MAX_AMPLITUDE}")]
    AmplitudeOutOfRange,
    #[error("period_ms must be at least 1")]
    ZeroPeriod,
}

impl PriceMotion {
    /// True when fares follow the clock (a positive amplitude).
    pub fn is_enabled(&self) -> bool {
        self.amplitude > 0.0
    }

    /// Checks the amplitude range and that a step lasts at least 1 ms.
    pub fn validate(&self) -> Result<(), PriceMotionError> {
        if !(0.0..=MAX_AMPLITUDE).contains(&self.amplitude) {
            return Err(PriceMotionError::AmplitudeOutOfRange);
        }
        if self.period.as_millis() == 0 {
            return Err(PriceMotionError::ZeroPeriod);
        }
        Ok(())
    }

    /// The index of the price step `at` falls in: floor(t / period).
    pub fn step(&self, at: DateTime<Utc>) -> i64 {
        let period = i64::try_from(self.period.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        at.timestamp_millis().div_euclid(period)
    }

    /// What the fare of the offer with `key` is multiplied by at `at`:
    /// within `1 ± amplitude` (amplitude clamped to `0..=MAX_AMPLITUDE`).
    pub(crate) fn factor(&self, key: u64, at: DateTime<Utc>) -> f64 {
        let amplitude = if self.amplitude.is_nan() {
            0.0
        } else {
            self.amplitude.clamp(0.0, MAX_AMPLITUDE)
        };
        1.0 + amplitude * level(self.seed, key, self.step(at))
    }
}

/// Where a fare stands at `step`, in `-1.0..=1.0`.
pub(crate) fn level(seed: u64, key: u64, step: i64) -> f64 {
    SWING_WEIGHT * swing(seed, key, step) + (1.0 - SWING_WEIGHT) * anchor(seed, key, 1, step)
}

/// The slow part: smoothstep between anchors `SWING_STEPS` apart.
fn swing(seed: u64, key: u64, step: i64) -> f64 {
    let index = step.div_euclid(SWING_STEPS);
    let t = step.rem_euclid(SWING_STEPS) as f64 / SWING_STEPS as f64;
    let eased = t * t * (3.0 - 2.0 * t);
    let from = anchor(seed, key, 0, index);
    let to = anchor(seed, key, 0, index + 1);
    from + (to - from) * eased
}

/// A uniform draw in `-1.0..1.0` fixed by its four inputs.
fn anchor(seed: u64, key: u64, layer: u64, index: i64) -> f64 {
    let bits = mix(mix(mix(mix(seed) ^ key) ^ layer) ^ index as u64);
    (bits >> 11) as f64 / (1_u64 << 53) as f64 * 2.0 - 1.0
}

/// SplitMix64's finaliser: a well-spread 64-bit hash of one word.
fn mix(word: u64) -> u64 {
    let mut z = word.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn motion(seed: u64) -> PriceMotion {
        PriceMotion {
            seed,
            period: Duration::from_secs(60),
            amplitude: 0.25,
        }
    }

    /// The start of a whole minute (in 2030).
    fn at_minute(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp((31_666_666 + minute) * 60, 0).unwrap()
    }

    #[test]
    fn the_same_inputs_give_the_same_factor() {
        let (a, b) = (motion(3), motion(3));
        for minute in 0..50 {
            assert_eq!(
                a.factor(42, at_minute(minute)),
                b.factor(42, at_minute(minute))
            );
        }
        let start = at_minute(10);
        let same_step = start + chrono::Duration::seconds(59);
        assert_eq!(a.factor(42, start), a.factor(42, same_step));
    }

    #[test]
    fn factors_stay_within_the_amplitude_and_use_most_of_it() {
        let motion = motion(11);
        let factors: Vec<f64> = (0..2_000)
            .map(|minute| motion.factor(7, at_minute(minute)))
            .collect();
        assert!(factors.iter().all(|f| (0.75..=1.25).contains(f)));
        let highest = factors.iter().copied().fold(f64::MIN, f64::max);
        let lowest = factors.iter().copied().fold(f64::MAX, f64::min);
        assert!(highest > 1.15 && lowest < 0.85, "{lowest}..{highest}");
    }

    #[test]
    fn prices_go_up_and_down_across_steps() {
        let motion = motion(5);
        let factors: Vec<f64> = (0..60)
            .map(|minute| motion.factor(9, at_minute(minute)))
            .collect();
        let rises = factors.windows(2).filter(|w| w[1] > w[0]).count();
        let falls = factors.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(rises >= 10 && falls >= 10, "{rises} rises, {falls} falls");
    }

    #[test]
    fn consecutive_steps_are_closer_than_distant_ones() {
        let steps: Vec<f64> = (0..4_000).map(|step| level(1, 2, step)).collect();
        let mean_gap = |distance: usize| {
            let gaps: Vec<f64> = steps
                .windows(distance + 1)
                .map(|w| (w[distance] - w[0]).abs())
                .collect();
            gaps.iter().sum::<f64>() / gaps.len() as f64
        };
        let next = mean_gap(1);
        let far = mean_gap(50);
        assert!(next * 2.0 < far, "next step {next}, fifty steps {far}");
    }

    #[test]
    fn seeds_and_offers_follow_their_own_paths() {
        let path = |seed: u64, key: u64| -> Vec<f64> {
            (0..20)
                .map(|minute| motion(seed).factor(key, at_minute(minute)))
                .collect()
        };
        assert_ne!(path(1, 42), path(2, 42));
        assert_ne!(path(1, 42), path(1, 43));
    }

    #[test]
    fn steps_count_whole_periods_before_and_after_the_epoch() {
        let motion = motion(0);
        assert_eq!(motion.step(DateTime::from_timestamp(119, 0).unwrap()), 1);
        assert_eq!(motion.step(DateTime::from_timestamp(-1, 0).unwrap()), -1);
    }

    #[test]
    fn off_by_default_and_validated() {
        let off = PriceMotion::default();
        assert!(!off.is_enabled());
        assert_eq!(off.factor(1, at_minute(3)), 1.0);
        off.validate().unwrap();
        let too_wide = PriceMotion {
            amplitude: 1.5,
            ..motion(1)
        };
        assert_eq!(
            too_wide.validate(),
            Err(PriceMotionError::AmplitudeOutOfRange)
        );
        assert!(too_wide.factor(1, at_minute(0)) >= 1.0 - MAX_AMPLITUDE);
        let instant = PriceMotion {
            period: Duration::ZERO,
            ..motion(1)
        };
        assert_eq!(instant.validate(), Err(PriceMotionError::ZeroPeriod));
    }

    #[test]
    fn json_uses_milliseconds() {
        let motion: PriceMotion =
            serde_json::from_str(r#"{"seed":4,"period_ms":250,"amplitude":0.3}"#).unwrap();
        assert_eq!(motion.period, Duration::from_millis(250));
        assert_eq!(serde_json::to_value(motion).unwrap()["period_ms"], 250);
        let partial: PriceMotion = serde_json::from_str(r#"{"amplitude":0.1}"#).unwrap();
        assert_eq!(partial.period, Duration::from_secs(60));
        assert!(serde_json::from_str::<PriceMotion>(r#"{"amp":0.1}"#).is_err());
    }
}
