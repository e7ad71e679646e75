//! Per-API-key request limits of the provider servers, and the traffic
//! figures the ledger reports.
//!
//! Each API counts the requests of every key in a sliding one-second
//! window. With a limit set, a request that would make the window hold
//! more than the limit is refused (the server answers 429 in its own
//! format) and not counted. Without one, nothing is refused, but the
//! figures are kept all the same, so a test can see how fast a client
//! really called.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ledger::LedgerTraffic;
use crate::lock::locked;

const WINDOW: Duration = Duration::from_secs(1);

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Served; `remaining` more fit in the key's window (the limit, or
    /// `u32::MAX` when none is set, minus what the window holds).
    Admitted { remaining: u32 },
    /// Over the limit: the window frees a slot after `retry_in`.
    Refused { retry_in: Duration },
}

/// One API's limiter; shared by its handlers.
#[derive(Debug)]
pub(crate) struct Limiter {
    /// Requests per second and key; `None`: not enforced.
    per_second: Option<u32>,
    state: Mutex<Windows>,
}

impl Limiter {
    pub(crate) fn new(per_second: Option<u32>) -> Self {
        Limiter {
            per_second,
            state: Mutex::new(Windows::default()),
        }
    }

    pub(crate) fn per_second(&self) -> Option<u32> {
        self.per_second
    }

    /// Counts a request of `api_key` arriving now.
    pub(crate) fn admit(&self, api_key: &str) -> Admission {
        locked(&self.state).admit(api_key, self.per_second, Instant::now())
    }

    /// Counts a 429 served for another reason (an injected throttle).
    pub(crate) fn count_too_many_requests(&self) {
        locked(&self.state).too_many_requests += 1;
    }

    /// The figures so far.
    pub(crate) fn traffic(&self) -> LedgerTraffic {
        let state = locked(&self.state);
        LedgerTraffic {
            limit_per_second: self.per_second,
            requests: state.requests,
            too_many_requests: state.too_many_requests,
            peak_per_second: state.peak,
            span_ms: match (state.first, state.last) {
                (Some(first), Some(last)) => {
                    u64::try_from(last.duration_since(first).as_millis()).unwrap_or(u64::MAX)
                }
                _ => 0,
            },
        }
    }
}

/// The windows of every key, and the totals.
#[derive(Debug, Default)]
struct Windows {
    by_key: BTreeMap<String, VecDeque<Instant>>,
    requests: u64,
    too_many_requests: u64,
    /// Most admitted requests of one key within one second.
    peak: u32,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl Windows {
    fn admit(&mut self, api_key: &str, per_second: Option<u32>, now: Instant) -> Admission {
        let window = self.by_key.entry(api_key.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|at| now.saturating_duration_since(*at) >= WINDOW)
        {
            window.pop_front();
        }
        let held = u32::try_from(window.len()).unwrap_or(u32::MAX);
        if let Some(limit) = per_second
            && held >= limit
        {
            let oldest = window.front().copied().unwrap_or(now);
            self.too_many_requests += 1;
            return Admission::Refused {
                retry_in: (oldest + WINDOW).saturating_duration_since(now),
            };
        }
        window.push_back(now);
        let held = held.saturating_add(1);
        self.requests += 1;
        self.peak = self.peak.max(held);
        self.first.get_or_insert(now);
        self.last = Some(now);
        Admission::Admitted {
            remaining: per_second.unwrap_or(u32::MAX).saturating_sub(held),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_per_key_and_slides() {
        let mut windows = Windows::default();
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(
            windows.admit("a", Some(2), at(0)),
            Admission::Admitted { remaining: 1 }
        );
        assert_eq!(
            windows.admit("a", Some(2), at(300)),
            Admission::Admitted { remaining: 0 }
        );
        assert_eq!(
            windows.admit("a", Some(2), at(400)),
            Admission::Refused {
                retry_in: Duration::from_millis(600)
            }
        );
        assert_eq!(
            windows.admit("b", Some(2), at(400)),
            Admission::Admitted { remaining: 1 },
            "another key has its own window"
        );
        assert_eq!(
            windows.admit("a", Some(2), at(1000)),
            Admission::Admitted { remaining: 0 },
            "the first request left the window"
        );
        assert_eq!(windows.requests, 4);
        assert_eq!(windows.too_many_requests, 1);
        assert_eq!(windows.peak, 2);
    }

    #[test]
    fn without_a_limit_nothing_is_refused_and_the_peak_is_still_measured() {
        let mut windows = Windows::default();
        let start = Instant::now();
        for n in 0..10 {
            let admission = windows.admit("a", None, start + Duration::from_millis(n * 50));
            assert!(matches!(admission, Admission::Admitted { .. }));
        }
        windows.admit("a", None, start + Duration::from_millis(1_400));
        assert_eq!(windows.peak, 10);
        assert_eq!(windows.requests, 11);
        assert_eq!(windows.too_many_requests, 0);
    }

    #[test]
    fn traffic_reports_the_span_between_first_and_last_request() {
        let limiter = Limiter::new(Some(5));
        assert_eq!(limiter.traffic().span_ms, 0);
        let start = Instant::now();
        {
            let mut state = locked(&limiter.state);
            state.admit("a", Some(5), start);
            state.admit("a", Some(5), start + Duration::from_millis(700));
        }
        limiter.count_too_many_requests();
        let traffic = limiter.traffic();
        assert_eq!(traffic.span_ms, 700);
        assert_eq!(traffic.requests, 2);
        assert_eq!(traffic.too_many_requests, 1);
        assert_eq!(traffic.limit_per_second, Some(5));
    }
}
