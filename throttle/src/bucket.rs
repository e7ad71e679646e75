//! The token bucket, as pure arithmetic: its parameters and how long a
//! call must wait for a token.
//!
//! A bucket holds at most `burst` tokens and gains `per_second` of them a
//! second; a call takes one. It is kept as one number, the *theoretical
//! arrival time* (TAT, the generic cell rate algorithm): the instant at
//! which the bucket would be full again if nobody called meanwhile. A call
//! at `now` may go at `max(TAT, now) - tolerance` (the tolerance is the
//! time `burst - 1` tokens take to refill) and moves TAT one interval
//! (`1 / per_second`) on. A caller thus *reserves* its token: it waits
//! exactly until its slot, with no polling, and the slots of concurrent
//! callers never overlap. Over any span of `t` seconds at most
//! `burst + per_second * t` calls go out.
//!
//! The shared buckets in Redis run the same arithmetic in Lua scripts (the
//! providers' in `shared.rs`, the gateway's per traveller); this copy
//! serves the per-process fallbacks and the tests.
//! Times are microseconds on whichever clock the bucket lives by.

use std::time::Duration;

const MICROS_PER_SECOND: f64 = 1_000_000.0;

/// A limit: `per_second` calls a second on average, at most
/// `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
}

impl RateLimit {
    /// `None` (no limit) for a rate that is zero, negative or not a number;
    /// a burst of 0 counts as 1.
    pub fn new(per_second: f64, burst: u32) -> Option<RateLimit> {
        (per_second.is_finite() && per_second > 0.0).then_some(RateLimit {
            per_second,
            burst: burst.max(1),
        })
    }

    pub fn per_second(&self) -> f64 {
        self.per_second
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Microseconds between two tokens (at least one).
    pub fn interval_us(&self) -> u64 {
        ((MICROS_PER_SECOND / self.per_second).round() as u64).max(1)
    }

    /// How far ahead of its slot a call may go: the refill time of the
    /// burst beyond the first token.
    pub fn tolerance_us(&self) -> u64 {
        self.interval_us()
            .saturating_mul(u64::from(self.burst.saturating_sub(1)))
    }

    /// The same limit scaled by `share` (0 to 1): rate times share, burst
    /// times share rounded down but at least 1. A share of 0 or less (or
    /// not a number) is treated as the smallest rate that still lets calls
    /// through, one a minute.
    pub fn scaled(&self, share: f64) -> RateLimit {
        let share = if share.is_finite() {
            share.clamp(0.0, 1.0)
        } else {
            0.0
        };
        RateLimit {
            per_second: (self.per_second * share).max(1.0 / 60.0),
            burst: ((f64::from(self.burst) * share).floor() as u32).max(1),
        }
    }
}

/// One bucket's state: its theoretical arrival time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    tat_us: u64,
}

impl Bucket {
    /// Takes the next token: how long after `now_us` the call may go.
    pub fn reserve(&mut self, limit: &RateLimit, now_us: u64) -> Duration {
        let tat = self.tat_us.max(now_us);
        let allowed_at = tat.saturating_sub(limit.tolerance_us());
        self.tat_us = tat.saturating_add(limit.interval_us());
        Duration::from_micros(allowed_at.saturating_sub(now_us))
    }

    /// Takes a token only if one is there at `now_us`, leaving the bucket
    /// as it was otherwise: `Err` says how long until one is (a limit that
    /// refuses instead of making callers wait).
    pub fn try_take(&mut self, limit: &RateLimit, now_us: u64) -> Result<(), Duration> {
        let tat = self.tat_us.max(now_us);
        let allowed_at = tat.saturating_sub(limit.tolerance_us());
        if allowed_at > now_us {
            return Err(Duration::from_micros(allowed_at - now_us));
        }
        self.tat_us = tat.saturating_add(limit.interval_us());
        Ok(())
    }

    /// Whether the bucket is full at `now_us` (as good as a new one).
    pub fn is_full(&self, now_us: u64) -> bool {
        self.tat_us <= now_us
    }

    /// The provider refused calls for `pause` (a 429 and its reset): no
    /// token before `now + pause`, and the bucket refills only from then,
    /// so calls resume one interval apart rather than in a burst.
    pub fn block(&mut self, limit: &RateLimit, now_us: u64, pause: Duration) {
        let until = now_us
            .saturating_add(u64::try_from(pause.as_micros()).unwrap_or(u64::MAX))
            .saturating_add(limit.tolerance_us());
        self.tat_us = self.tat_us.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000;

    fn limit(per_second: f64, burst: u32) -> RateLimit {
        RateLimit::new(per_second, burst).unwrap()
    }

    #[test]
    fn a_zero_or_invalid_rate_is_no_limit() {
        assert_eq!(RateLimit::new(0.0, 5), None);
        assert_eq!(RateLimit::new(-1.0, 5), None);
        assert_eq!(RateLimit::new(f64::NAN, 5), None);
        assert_eq!(limit(2.0, 0).burst(), 1);
    }

    #[test]
    fn interval_and_tolerance_follow_rate_and_burst() {
        let l = limit(4.0, 3);
        assert_eq!(l.interval_us(), 250_000);
        assert_eq!(l.tolerance_us(), 500_000);
        assert_eq!(limit(3.0, 1).interval_us(), 333_333);
        assert_eq!(limit(3.0, 1).tolerance_us(), 0);
    }

    #[test]
    fn a_full_bucket_lets_the_burst_through_then_spaces_calls() {
        let l = limit(4.0, 3);
        let mut bucket = Bucket::default();
        let now = 100 * SECOND;
        let waits: Vec<u64> = (0..6)
            .map(|_| bucket.reserve(&l, now).as_micros() as u64)
            .collect();
        assert_eq!(waits, vec![0, 0, 0, 250_000, 500_000, 750_000]);
    }

    #[test]
    fn tokens_come_back_at_the_rate() {
        let l = limit(4.0, 2);
        let mut bucket = Bucket::default();
        let now = 100 * SECOND;
        bucket.reserve(&l, now);
        bucket.reserve(&l, now);
        assert_eq!(bucket.reserve(&l, now), Duration::from_millis(250));
        // A second later the bucket is full again: two at once.
        let later = now + 2 * SECOND;
        assert_eq!(bucket.reserve(&l, later), Duration::ZERO);
        assert_eq!(bucket.reserve(&l, later), Duration::ZERO);
        assert_eq!(bucket.reserve(&l, later), Duration::from_millis(250));
    }

    #[test]
    fn no_span_ever_sees_more_than_burst_plus_rate_times_span() {
        let l = limit(10.0, 4);
        let mut bucket = Bucket::default();
        // 200 callers arriving in clumps; each goes at now + its wait.
        let mut sent: Vec<u64> = Vec::new();
        let mut now = 50 * SECOND;
        for n in 0..200u64 {
            now += if n % 20 == 0 { 700_000 } else { 3_000 };
            sent.push(now + bucket.reserve(&l, now).as_micros() as u64);
        }
        sent.sort_unstable();
        for (i, start) in sent.iter().enumerate() {
            for span in [SECOND / 10, SECOND, 5 * SECOND] {
                let within = sent[i..].iter().take_while(|t| **t < start + span).count();
                let allowed = 4 + (10 * span / SECOND) as usize;
                assert!(within <= allowed, "{within} calls in {span} µs");
            }
        }
    }

    #[test]
    fn try_take_refuses_without_taking_and_says_how_long() {
        let l = limit(2.0, 2);
        let mut bucket = Bucket::default();
        let now = 10 * SECOND;
        assert_eq!(bucket.try_take(&l, now), Ok(()));
        assert_eq!(bucket.try_take(&l, now), Ok(()));
        assert_eq!(bucket.try_take(&l, now), Err(Duration::from_millis(500)));
        // A refusal takes nothing: the next token still comes in 500 ms.
        assert_eq!(bucket.try_take(&l, now), Err(Duration::from_millis(500)));
        assert_eq!(bucket.try_take(&l, now + 500_000), Ok(()));
        assert!(!bucket.is_full(now + 500_000));
        assert!(bucket.is_full(now + 2 * SECOND));
    }

    #[test]
    fn a_block_holds_calls_until_its_end_then_resumes_one_at_a_time() {
        let l = limit(10.0, 5);
        let mut bucket = Bucket::default();
        let now = 10 * SECOND;
        bucket.block(&l, now, Duration::from_secs(2));
        assert_eq!(bucket.reserve(&l, now), Duration::from_secs(2));
        assert_eq!(bucket.reserve(&l, now), Duration::from_millis(2_100));
        // A shorter block later does not shorten the longer one.
        bucket.block(&l, now, Duration::from_millis(500));
        assert_eq!(bucket.reserve(&l, now), Duration::from_millis(2_200));
    }

    #[test]
    fn a_scaled_limit_keeps_at_least_one_token_and_a_trickle() {
        let l = limit(100.0, 10);
        let quarter = l.scaled(0.25);
        assert_eq!(quarter.per_second(), 25.0);
        assert_eq!(quarter.burst(), 2);
        let tiny = limit(2.0, 1).scaled(0.1);
        assert_eq!(tiny.burst(), 1);
        assert!((tiny.per_second() - 0.2).abs() < 1e-9);
        assert_eq!(l.scaled(0.0).per_second(), 1.0 / 60.0);
        assert_eq!(l.scaled(3.0), l, "a share above 1 is 1");
    }
}
