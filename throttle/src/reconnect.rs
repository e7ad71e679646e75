//! When to ask Redis again after it failed: a pure backoff, so that a
//! Redis outage costs one probe per pause instead of one per call.
//!
//! While Redis answers, every call asks it. After a failure, calls use the
//! local fallback until the pause is over; the first call after that is
//! the only one to probe (the pause is re-armed as it claims the probe).
//! Pauses double from [`Reconnect::FIRST_PAUSE`] to [`Reconnect::MAX_PAUSE`];
//! one success resets them.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconnect {
    /// Failures in a row.
    failures: u32,
    /// No call asks Redis before this instant.
    next_try: Option<Instant>,
}

impl Reconnect {
    pub const FIRST_PAUSE: Duration = Duration::from_millis(200);
    pub const MAX_PAUSE: Duration = Duration::from_secs(5);

    /// Whether the call at `now` should ask Redis. A probe after a pause
    /// claims it: until it is settled, later calls stay local.
    pub fn should_try(&mut self, now: Instant) -> bool {
        match self.next_try {
            None => true,
            Some(at) if now < at => false,
            Some(_) => {
                self.next_try = Some(now + self.pause());
                true
            }
        }
    }

    pub fn succeeded(&mut self) {
        *self = Reconnect::default();
    }

    pub fn failed(&mut self, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        self.next_try = Some(now + self.pause());
    }

    /// Whether Redis is considered down.
    pub fn is_down(&self) -> bool {
        self.failures > 0
    }

    fn pause(&self) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(16);
        Self::FIRST_PAUSE
            .saturating_mul(1 << doublings)
            .min(Self::MAX_PAUSE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn while_redis_answers_every_call_asks_it() {
        let mut reconnect = Reconnect::default();
        let now = Instant::now();
        assert!(reconnect.should_try(now));
        reconnect.succeeded();
        assert!(reconnect.should_try(now));
        assert!(!reconnect.is_down());
    }

    #[test]
    fn after_a_failure_calls_stay_local_until_the_pause_is_over() {
        let mut reconnect = Reconnect::default();
        let start = Instant::now();
        reconnect.failed(start);
        assert!(reconnect.is_down());
        assert!(!reconnect.should_try(start + Duration::from_millis(199)));
        assert!(reconnect.should_try(start + Duration::from_millis(200)));
        assert!(
            !reconnect.should_try(start + Duration::from_millis(201)),
            "one probe at a time"
        );
    }

    #[test]
    fn pauses_double_up_to_the_cap_and_reset_on_success() {
        let mut reconnect = Reconnect::default();
        let mut now = Instant::now();
        let mut pauses = Vec::new();
        for _ in 0..7 {
            reconnect.failed(now);
            let next = reconnect.next_try.unwrap();
            pauses.push(next.duration_since(now).as_millis());
            now = next;
        }
        assert_eq!(pauses, vec![200, 400, 800, 1600, 3200, 5000, 5000]);
        reconnect.succeeded();
        assert!(reconnect.should_try(now));
        assert!(!reconnect.is_down());
    }
}
