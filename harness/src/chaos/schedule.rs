//! The chaos plan, decided before anything runs: when each trip is
//! submitted, when which child is SIGKILLed and how long it stays down,
//! and when the broker restarts. Pure: the same seed, duration and rate
//! give the same plan, so a failing run can be repeated kill for kill.
//!
//! Kills are stratified: the chaos period (after a short warm-up) is cut
//! into as many equal windows as there are kills and one moment is drawn
//! in each, so kills land at every stage of the run instead of clumping.
//! A child is never picked while it is still down from an earlier kill.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Shortest pause between a kill and the restart of the same child.
pub const MIN_RESTART_PAUSE: Duration = Duration::from_millis(200);
/// Longest pause between a kill and the restart of the same child.
pub const MAX_RESTART_PAUSE: Duration = Duration::from_millis(2000);
/// Time a restarted child is given to come up before it may be killed again.
pub const RESTART_GRACE: Duration = Duration::from_secs(1);
/// Share of the chaos period over which trips are submitted.
pub const SUBMIT_SHARE: f64 = 0.6;
/// The broker restarts at a moment drawn from this share of the period.
pub const BROKER_RESTART_WINDOW: (f64, f64) = (0.4, 0.6);

/// What the plan is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    pub seed: u64,
    /// Length of the chaos period.
    pub duration: Duration,
    pub kills_per_minute: f64,
    /// Children that may be killed (indices `0..slots`).
    pub slots: usize,
    pub broker_restart: bool,
}

/// One planned SIGKILL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedKill {
    /// Offset from the start of the chaos period.
    pub at: Duration,
    /// Index of the child to kill.
    pub slot: usize,
    /// Pause before the child is started again.
    pub restart_after: Duration,
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Sorted by `at`.
    pub kills: Vec<PlannedKill>,
    /// Offset of the broker restart, if any.
    pub broker_restart_at: Option<Duration>,
}

/// How many kills a period of `duration` gets at `kills_per_minute`
/// (rounded up, so any positive rate kills at least once).
pub fn kill_count(duration: Duration, kills_per_minute: f64) -> usize {
    if kills_per_minute.is_nan() || kills_per_minute <= 0.0 || duration.is_zero() {
        return 0;
    }
    (duration.as_secs_f64() * kills_per_minute / 60.0).ceil() as usize
}

/// Warm-up before the first kill: children get a moment to start.
pub fn warm_up(duration: Duration) -> Duration {
    (duration / 10).min(Duration::from_secs(2))
}

/// Offset at which trip `index` of `trips` is submitted: evenly paced over
/// the first [`SUBMIT_SHARE`] of the period.
pub fn submit_offset(index: usize, trips: usize, duration: Duration) -> Duration {
    if trips == 0 {
        return Duration::ZERO;
    }
    let window = duration.mul_f64(SUBMIT_SHARE);
    window.mul_f64(index as f64 / trips as f64)
}

/// Draws the plan.
pub fn plan(config: &PlanConfig) -> Plan {
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x6368_616f_735f_706c);
    let count = if config.slots == 0 {
        0
    } else {
        kill_count(config.duration, config.kills_per_minute)
    };
    let start = warm_up(config.duration);
    let span = config.duration.saturating_sub(start);
    let window = if count == 0 {
        Duration::ZERO
    } else {
        span / u32::try_from(count).unwrap_or(u32::MAX)
    };
    // When each slot is up again (kill time + pause + grace).
    let mut up_again = vec![Duration::ZERO; config.slots];
    let mut kills = Vec::with_capacity(count);
    for n in 0..count {
        let from = start + window * u32::try_from(n).unwrap_or(u32::MAX);
        let at = from + window.mul_f64(rng.random_range(0.0..1.0));
        let candidates: Vec<usize> = (0..config.slots).filter(|s| up_again[*s] <= at).collect();
        let slot = if candidates.is_empty() {
            rng.random_range(0..config.slots)
        } else {
            candidates[rng.random_range(0..candidates.len())]
        };
        let restart_after = Duration::from_millis(rng.random_range(
            MIN_RESTART_PAUSE.as_millis() as u64..=MAX_RESTART_PAUSE.as_millis() as u64,
        ));
        up_again[slot] = at + restart_after + RESTART_GRACE;
        kills.push(PlannedKill {
            at,
            slot,
            restart_after,
        });
    }
    let broker_restart_at = config.broker_restart.then(|| {
        let (low, high) = BROKER_RESTART_WINDOW;
        config.duration.mul_f64(rng.random_range(low..high))
    });
    Plan {
        kills,
        broker_restart_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(seed: u64) -> PlanConfig {
        PlanConfig {
            seed,
            duration: Duration::from_secs(120),
            kills_per_minute: 15.0,
            slots: 10,
            broker_restart: true,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_plan() {
        assert_eq!(plan(&config(7)), plan(&config(7)));
        assert_ne!(plan(&config(7)), plan(&config(8)));
    }

    #[test]
    fn default_settings_kill_at_least_twenty_times_in_two_minutes() {
        let plan = plan(&config(2026));
        assert_eq!(plan.kills.len(), 30);
        assert!(plan.kills.len() >= 20);
        assert_eq!(
            kill_count(Duration::from_secs(20), 30.0),
            10,
            "the CI run kills ten times"
        );
        assert_eq!(kill_count(Duration::from_secs(1), 1.0), 1);
        assert_eq!(kill_count(Duration::from_secs(120), 0.0), 0);
        assert_eq!(kill_count(Duration::from_secs(120), f64::NAN), 0);
    }

    #[test]
    fn kills_are_sorted_spread_and_inside_the_period() {
        for seed in 0..50 {
            let config = config(seed);
            let plan = plan(&config);
            let start = warm_up(config.duration);
            assert!(plan.kills.windows(2).all(|w| w[0].at <= w[1].at));
            for kill in &plan.kills {
                assert!(kill.at >= start && kill.at < config.duration, "{kill:?}");
                assert!(kill.slot < config.slots);
                assert!(
                    (MIN_RESTART_PAUSE..=MAX_RESTART_PAUSE).contains(&kill.restart_after),
                    "{kill:?}"
                );
            }
            // One kill in each quarter at least: stratified, not clumped.
            for quarter in 0..4u32 {
                let (from, to) = (
                    config.duration * quarter / 4,
                    config.duration * (quarter + 1) / 4,
                );
                assert!(
                    plan.kills.iter().any(|k| k.at >= from && k.at < to),
                    "seed {seed}: no kill in quarter {quarter}"
                );
            }
        }
    }

    #[test]
    fn a_child_is_not_killed_while_it_is_down() {
        for seed in 0..50 {
            let plan = plan(&PlanConfig {
                kills_per_minute: 60.0,
                ..config(seed)
            });
            for (n, kill) in plan.kills.iter().enumerate() {
                if let Some(previous) = plan.kills[..n].iter().rev().find(|k| k.slot == kill.slot) {
                    assert!(
                        kill.at >= previous.at + previous.restart_after + RESTART_GRACE,
                        "seed {seed}: {previous:?} then {kill:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_child_is_killed_in_a_long_run() {
        let plan = plan(&config(2026));
        for slot in 0..10 {
            assert!(
                plan.kills.iter().any(|k| k.slot == slot),
                "slot {slot} never killed"
            );
        }
    }

    #[test]
    fn the_broker_restarts_once_in_the_middle_unless_disabled() {
        for seed in 0..50 {
            let config = config(seed);
            let at = plan(&config).broker_restart_at.expect("a restart");
            assert!(at >= config.duration.mul_f64(0.4) && at < config.duration.mul_f64(0.6));
        }
        let quiet = PlanConfig {
            broker_restart: false,
            ..config(1)
        };
        assert_eq!(plan(&quiet).broker_restart_at, None);
    }

    #[test]
    fn no_slots_or_no_rate_means_no_kills() {
        let none = plan(&PlanConfig {
            slots: 0,
            ..config(1)
        });
        assert!(none.kills.is_empty());
        let none = plan(&PlanConfig {
            kills_per_minute: 0.0,
            ..config(1)
        });
        assert!(none.kills.is_empty());
    }

    #[test]
    fn trips_are_paced_over_the_first_part_of_the_run() {
        let duration = Duration::from_secs(100);
        assert_eq!(submit_offset(0, 1000, duration), Duration::ZERO);
        assert_eq!(submit_offset(500, 1000, duration), Duration::from_secs(30));
        assert!(submit_offset(999, 1000, duration) < Duration::from_secs(60));
        assert_eq!(submit_offset(0, 0, duration), Duration::ZERO);
    }
}
