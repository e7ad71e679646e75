//! The orchestrator's clock: wall time plus an offset that tests and demos
//! move forward, so that a watched trip's searches, its deadline and a
//! seven-day hold lapse can be driven without waiting for them.
//!
//! Every decision takes `now` from here, and the timer loop asks here which
//! timers are due (not the database's `now()`), so advancing the clock
//! fires exactly the timers that became due, at once: the loop watches the
//! offset and wakes on every advance instead of polling.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// A shared, movable clock. Clones share one offset.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_millis: Arc<watch::Sender<i64>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset_millis: Arc::new(watch::Sender::new(0)),
        }
    }
}

/// Wakes when the clock it came from is advanced.
#[derive(Debug)]
pub struct Advances(watch::Receiver<i64>);

impl Advances {
    /// Forgets the advances seen so far.
    pub fn mark_seen(&mut self) {
        self.0.borrow_and_update();
    }

    /// Waits for an advance not yet seen; returns at once if one happened
    /// since the last [`Advances::mark_seen`].
    pub async fn next(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Clock {
    /// Wall time, until someone advances it.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(*self.offset_millis.borrow())
    }

    /// Moves time forward by `by` and wakes whoever watches for advances.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis
            .send_modify(|offset| *offset = offset.saturating_add(millis));
    }

    /// A watcher of this clock's advances.
    pub fn advances(&self) -> Advances {
        Advances(self.offset_millis.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn advancing_moves_every_clone_and_wakes_watchers() {
        let clock = Clock::system();
        let other = clock.clone();
        let before = other.now();
        let mut advances = other.advances();
        advances.mark_seen();
        clock.advance(Duration::from_secs(3600));
        // An advance made before the wait is not missed.
        advances.next().await;
        assert!(other.now() - before >= chrono::Duration::hours(1));
    }
}
