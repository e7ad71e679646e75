//! Booking deadlines across clock changes: each expected instant is written
//! out from the zone's rules, not recomputed with the code under test.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn six_hours() -> Duration {
    Duration::hours(6)
}

fn deadline(departure: NaiveDate, zone: Tz) -> DateTime<Utc> {
    BookingDeadline::new(departure, zone, six_hours(), None).at()
}

#[test]
fn new_york_spring_forward_and_fall_back() {
    let ny = chrono_tz::America::New_York;
    // Clocks spring forward on 2026-03-08: the 8th starts at 05:00 UTC (EST),
    // the 9th at 04:00 UTC (EDT), 23 hours later.
    assert_eq!(deadline(date(2026, 3, 8), ny), utc(2026, 3, 7, 23, 0));
    assert_eq!(deadline(date(2026, 3, 9), ny), utc(2026, 3, 8, 22, 0));
    assert_eq!(
        deadline(date(2026, 3, 9), ny) - deadline(date(2026, 3, 8), ny),
        Duration::hours(23)
    );
    // Clocks fall back on 2026-11-01: the 1st starts at 04:00 UTC (EDT), the
    // 2nd at 05:00 UTC (EST), 25 hours later.
    assert_eq!(deadline(date(2026, 11, 1), ny), utc(2026, 10, 31, 22, 0));
    assert_eq!(deadline(date(2026, 11, 2), ny), utc(2026, 11, 1, 23, 0));
    assert_eq!(
        deadline(date(2026, 11, 2), ny) - deadline(date(2026, 11, 1), ny),
        Duration::hours(25)
    );
}

#[test]
fn london_spring_forward_and_fall_back() {
    let london = chrono_tz::Europe::London;
    // BST starts 2026-03-29 at 01:00 UTC; the 30th starts at 23:00 UTC on the 29th.
    assert_eq!(deadline(date(2026, 3, 29), london), utc(2026, 3, 28, 18, 0));
    assert_eq!(deadline(date(2026, 3, 30), london), utc(2026, 3, 29, 17, 0));
    // BST ends 2026-10-25 at 01:00 UTC; the 25th started at 23:00 UTC on the 24th.
    assert_eq!(
        deadline(date(2026, 10, 25), london),
        utc(2026, 10, 24, 17, 0)
    );
    assert_eq!(
        deadline(date(2026, 10, 26), london),
        utc(2026, 10, 25, 18, 0)
    );
    assert_eq!(
        deadline(date(2026, 10, 26), london) - deadline(date(2026, 10, 25), london),
        Duration::hours(25)
    );
}

#[test]
fn a_departure_on_a_day_whose_midnight_is_skipped_or_repeated() {
    let havana = chrono_tz::America::Havana;
    // 2026-03-08 00:00 does not exist in Havana: the day starts at 01:00 CDT = 05:00 UTC.
    assert_eq!(deadline(date(2026, 3, 8), havana), utc(2026, 3, 7, 23, 0));
    // 2026-11-01 00:00 happens twice; the first (00:00 CDT = 04:00 UTC) counts.
    assert_eq!(
        deadline(date(2026, 11, 1), havana),
        utc(2026, 10, 31, 22, 0)
    );
    let santiago = chrono_tz::America::Santiago;
    // 2026-09-06 00:00 does not exist in Santiago: the day starts at 04:00 UTC.
    assert_eq!(deadline(date(2026, 9, 6), santiago), utc(2026, 9, 5, 22, 0));
}

#[test]
fn the_book_by_date_ends_at_local_midnight_and_the_earlier_limit_wins() {
    let ny = chrono_tz::America::New_York;
    let departure = date(2026, 7, 20);
    // Book by the 10th: allowed through 23:59:59 EDT on the 10th (03:59:59 UTC on the 11th).
    let early = BookingDeadline::new(departure, ny, six_hours(), Some(date(2026, 7, 10)));
    assert_eq!(early.at(), utc(2026, 7, 11, 4, 0));
    assert!(!early.is_past(utc(2026, 7, 11, 4, 0) - Duration::seconds(1)));
    assert!(early.is_past(utc(2026, 7, 11, 4, 0)));
    // A book-by date on the departure day itself is later than midnight minus the margin.
    let late = BookingDeadline::new(departure, ny, six_hours(), Some(departure));
    assert_eq!(late.at(), utc(2026, 7, 19, 22, 0));
    assert_eq!(late, BookingDeadline::new(departure, ny, six_hours(), None));
}

#[test]
fn the_deadline_is_judged_in_the_origin_zone_across_the_date_line() {
    // The same calendar date starts 23 hours earlier in Auckland (NZDT, +13)
    // than in Honolulu (-10).
    let departure = date(2026, 11, 22);
    let auckland = deadline(departure, chrono_tz::Pacific::Auckland);
    let honolulu = deadline(departure, chrono_tz::Pacific::Honolulu);
    assert_eq!(auckland, utc(2026, 11, 21, 5, 0));
    assert_eq!(honolulu, utc(2026, 11, 22, 4, 0));
    let now = utc(2026, 11, 21, 12, 0);
    assert!(
        BookingDeadline::new(departure, chrono_tz::Pacific::Auckland, six_hours(), None)
            .is_past(now)
    );
    assert!(
        !BookingDeadline::new(departure, chrono_tz::Pacific::Honolulu, six_hours(), None)
            .is_past(now)
    );
}

#[test]
fn is_past_turns_at_the_deadline_instant() {
    let d = BookingDeadline::new(
        date(2026, 7, 20),
        chrono_tz::Europe::London,
        six_hours(),
        None,
    );
    // Midnight BST on the 20th is 23:00 UTC on the 19th; less six hours.
    assert_eq!(d.at(), utc(2026, 7, 19, 17, 0));
    assert!(!d.is_past(d.at() - Duration::seconds(1)));
    assert!(d.is_past(d.at()));
    assert!(d.is_past(d.at() + Duration::seconds(1)));
}
