//! The booking deadline of a trip: the UTC instant after which autobook must
//! no longer book it.
//!
//! Two limits apply and the earlier one wins:
//! - the start of the departure date in the origin airport's zone (see
//!   [`start_of_local_day`] for days whose midnight is skipped or repeated),
//!   less a configured margin (so that a ticket is issued in time for the
//!   earliest flight of the day);
//! - when the traveller chose a "book by" date (a local date in the origin
//!   airport's zone), the **end** of that day: booking is still allowed at
//!   23:59:59 local on that date, and no longer at the following midnight.
//!
//! The deadline itself is already past: [`BookingDeadline::is_past`] is true
//! from the deadline instant on. Everything here is pure; the caller passes
//! `now`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::local_day::{end_of_local_day, start_of_local_day};

/// When a trip must no longer be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BookingDeadline {
    at: DateTime<Utc>,
}

impl BookingDeadline {
    /// `min(start of departure_date in origin_zone - margin, end of book_by in origin_zone)`.
    pub fn new(
        departure_date: NaiveDate,
        origin_zone: Tz,
        margin: Duration,
        book_by: Option<NaiveDate>,
    ) -> Self {
        let before_departure = start_of_local_day(departure_date, origin_zone) - margin;
        let at = match book_by {
            Some(date) => before_departure.min(end_of_local_day(date, origin_zone)),
            None => before_departure,
        };
        Self { at }
    }

    /// The first instant at which the trip may no longer be booked.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Whether booking is no longer allowed at `now` (true at the deadline itself).
    pub fn is_past(&self, now: DateTime<Utc>) -> bool {
        now >= self.at
    }
}

#[cfg(test)]
mod tests;
