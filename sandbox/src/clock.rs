//! The sandbox clock: wall time plus an offset that tests and demos can
//! advance, so that offer expiry and seven-day hold lapses can be seen
//! without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Wall-clock time shifted by an adjustable offset.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_millis: AtomicI64,
}

impl Clock {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::milliseconds(self.offset_millis.load(Ordering::SeqCst));
        Utc::now() + offset
    }

    /// Moves the sandbox's time forward.
    pub(crate) fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis.fetch_add(millis, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(7 * 24 * 3600));
        let after = clock.now();
        assert!(after - before >= chrono::Duration::days(7));
    }
}
