//! Where local days begin in zones with ordinary, midnight and whole-day
//! clock changes; every expected instant is written out from the tz rules.

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

#[test]
fn an_ordinary_midnight_is_the_start_of_the_day() {
    // New York in winter is UTC-5, in summer UTC-4.
    let ny = chrono_tz::America::New_York;
    assert_eq!(
        start_of_local_day(date(2026, 1, 15), ny),
        utc(2026, 1, 15, 5, 0)
    );
    assert_eq!(
        start_of_local_day(date(2026, 7, 15), ny),
        utc(2026, 7, 15, 4, 0)
    );
    assert_eq!(
        end_of_local_day(date(2026, 7, 14), ny),
        utc(2026, 7, 15, 4, 0)
    );
}

#[test]
fn a_skipped_midnight_starts_the_day_when_the_clock_jumps() {
    // Havana springs forward at 00:00 CST (05:00 UTC) on the second Sunday of
    // March: 2026-03-08 starts at 01:00 CDT, the same instant.
    let havana = chrono_tz::America::Havana;
    assert!(
        havana
            .from_local_datetime(&date(2026, 3, 8).and_hms_opt(0, 0, 0).unwrap())
            .single()
            .is_none()
    );
    assert_eq!(
        start_of_local_day(date(2026, 3, 8), havana),
        utc(2026, 3, 8, 5, 0)
    );
    assert_eq!(
        start_of_local_day(date(2026, 3, 7), havana),
        utc(2026, 3, 7, 5, 0)
    );
    assert_eq!(
        start_of_local_day(date(2026, 3, 9), havana),
        utc(2026, 3, 9, 4, 0)
    );
    // Santiago springs forward at 00:00 -04 (04:00 UTC) on 2026-09-06.
    let santiago = chrono_tz::America::Santiago;
    assert_eq!(
        start_of_local_day(date(2026, 9, 6), santiago),
        utc(2026, 9, 6, 4, 0)
    );
    assert_eq!(
        start_of_local_day(date(2026, 9, 7), santiago),
        utc(2026, 9, 7, 3, 0)
    );
}

#[test]
fn a_repeated_midnight_starts_the_day_at_its_first_occurrence() {
    // Havana falls back at 01:00 CDT (05:00 UTC) to 00:00 CST on 2026-11-01:
    // 00:00 local happens at 04:00 UTC and again at 05:00 UTC.
    let havana = chrono_tz::America::Havana;
    assert!(matches!(
        havana.from_local_datetime(&date(2026, 11, 1).and_hms_opt(0, 0, 0).unwrap()),
        LocalResult::Ambiguous(..)
    ));
    assert_eq!(
        start_of_local_day(date(2026, 11, 1), havana),
        utc(2026, 11, 1, 4, 0)
    );
    assert_eq!(
        end_of_local_day(date(2026, 11, 1), havana),
        utc(2026, 11, 2, 5, 0)
    );
}

#[test]
fn a_skipped_day_begins_and_ends_at_the_same_instant() {
    // Samoa moved across the date line: 2011-12-29 23:59:59 -10 was followed
    // by 2011-12-31 00:00:00 +14 (10:00 UTC); the 30th never happened.
    let apia = chrono_tz::Pacific::Apia;
    let jump = utc(2011, 12, 30, 10, 0);
    assert_eq!(start_of_local_day(date(2011, 12, 30), apia), jump);
    assert_eq!(end_of_local_day(date(2011, 12, 30), apia), jump);
    assert_eq!(start_of_local_day(date(2011, 12, 31), apia), jump);
    assert_eq!(end_of_local_day(date(2011, 12, 29), apia), jump);
}

#[test]
fn every_day_of_a_year_starts_on_its_own_date_and_not_before() {
    // Property over real zones: the start instant reads the date locally and
    // one second earlier reads an earlier date.
    let zones: [Tz; 6] = [
        chrono_tz::America::Havana,
        chrono_tz::America::Santiago,
        chrono_tz::Asia::Beirut,
        chrono_tz::Europe::London,
        chrono_tz::Pacific::Auckland,
        chrono_tz::Pacific::Chatham,
    ];
    for zone in zones {
        let mut day = date(2026, 1, 1);
        while day < date(2027, 1, 1) {
            let start = start_of_local_day(day, zone);
            assert_eq!(start.with_timezone(&zone).date_naive(), day, "{zone} {day}");
            let before = start - chrono::Duration::seconds(1);
            assert!(
                before.with_timezone(&zone).date_naive() < day,
                "{zone} {day}"
            );
            day = day.succ_opt().unwrap();
        }
    }
}
