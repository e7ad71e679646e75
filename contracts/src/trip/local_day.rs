//! Where a local calendar day begins and ends, as UTC instants, in an IANA
//! time zone, including days whose midnight is skipped or repeated by a
//! daylight-saving change.
//!
//! Most zones change clocks in the small hours, but some change exactly at
//! midnight (`America/Havana` in March and November, `America/Santiago` in
//! September), and `Pacific/Apia` skipped 30 December 2011 altogether. The
//! rule used everywhere in autobook: a local day **begins at the earliest
//! instant whose local clock reads that date**:
//! - midnight exists once: that instant;
//! - midnight exists twice (clocks fall back at 01:00 to 00:00): the first;
//! - midnight is skipped (clocks spring from 00:00 to 01:00): the instant of
//!   the change, when the clock first shows the date (01:00 local).
//!
//! A local day ends where the next one begins (exclusive).

use chrono::{DateTime, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

/// The first instant whose local date in `zone` is `date`.
pub fn start_of_local_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match zone.from_local_datetime(&midnight) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(earliest, _) => earliest.with_timezone(&Utc),
        LocalResult::None => end_of_gap(midnight.and_utc(), zone),
    }
}

/// The first instant after `date` in `zone`: the start of the next local day.
pub fn end_of_local_day(date: NaiveDate, zone: Tz) -> DateTime<Utc> {
    match date.succ_opt() {
        Some(next) => start_of_local_day(next, zone),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// The instant at which a gap in local time containing `local` (a local
/// reading written as if it were UTC) ends: the first instant whose local
/// reading is at or after `local`.
///
/// UTC offsets lie within -12h..=+14h, so that instant lies in
/// `local - 15h ..= local + 13h`; within that window the local reading only
/// moves forward (no zone has had a spring-forward and a fall-back within
/// 28 hours of each other), so a binary search to the second finds it.
fn end_of_gap(local: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
    let reads_at_or_after = |seconds: i64| {
        DateTime::from_timestamp(seconds, 0)
            .is_some_and(|instant| instant.with_timezone(&zone).naive_local() >= local.naive_utc())
    };
    let (mut before, mut after) = (
        (local - Duration::hours(15)).timestamp(),
        (local + Duration::hours(13)).timestamp(),
    );
    while after - before > 1 {
        let middle = before + (after - before) / 2;
        if reads_at_or_after(middle) {
            after = middle;
        } else {
            before = middle;
        }
    }
    DateTime::from_timestamp(after, 0).unwrap_or(local)
}

#[cfg(test)]
mod tests;
