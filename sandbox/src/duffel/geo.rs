//! Distances, block times and local-time conversion for flights.

use autobook_contracts::catalogue::Airport;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Great-circle distance in kilometres.
pub(crate) fn distance_km(from: &Airport, to: &Airport) -> f64 {
    const EARTH_RADIUS_KM: f64 = 6371.0;
    let (lat1, lat2) = (from.latitude.to_radians(), to.latitude.to_radians());
    let d_lat = lat2 - lat1;
    let d_lon = (to.longitude - from.longitude).to_radians();
    let a = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// Gate-to-gate minutes: about 800 km/h plus 30 minutes, in 5-minute steps.
pub(crate) fn block_minutes(distance_km: f64) -> i64 {
    let raw = distance_km / 800.0 * 60.0 + 30.0;
    let stepped = (raw / 5.0).round() * 5.0;
    (stepped as i64).max(40)
}

/// The airport's IANA zone; UTC if the name were ever unknown.
pub(crate) fn zone(airport: &Airport) -> Tz {
    airport.time_zone.parse().unwrap_or(Tz::UTC)
}

/// The instant of a local wall-clock time. In a DST gap the time is moved
/// one hour later; in an overlap the earlier instant is taken.
pub(crate) fn local_to_utc(local: NaiveDateTime, zone: Tz) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => {
            let shifted = local + chrono::Duration::hours(1);
            match zone.from_local_datetime(&shifted) {
                LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
                LocalResult::None => Utc.from_utc_datetime(&local),
            }
        }
    }
}

/// Local wall-clock time of an instant.
pub(crate) fn utc_to_local(at: DateTime<Utc>, zone: Tz) -> NaiveDateTime {
    at.with_timezone(&zone).naive_local()
}

/// ISO 8601 duration as Duffel prints it: "PT5H4M", "P1DT2H5M".
pub(crate) fn iso_duration(minutes: i64) -> String {
    let minutes = minutes.max(0);
    let (days, rest) = (minutes / 1440, minutes % 1440);
    let (hours, mins) = (rest / 60, rest % 60);
    let day_part = if days > 0 {
        format!("P{days}D")
    } else {
        "P".to_owned()
    };
    format!("{day_part}T{hours}H{mins}M")
}

#[cfg(test)]
mod tests {
    use autobook_contracts::catalogue::airport;
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn distances_and_durations_are_plausible() {
        let jfk = airport("JFK").unwrap();
        let lhr = airport("LHR").unwrap();
        let km = distance_km(jfk, lhr);
        assert!((5500.0..5600.0).contains(&km), "{km}");
        let minutes = block_minutes(km);
        assert!((440..460).contains(&minutes), "{minutes}");
        assert_eq!(minutes % 5, 0);
    }

    #[test]
    fn local_times_follow_the_zone() {
        let jfk = airport("JFK").unwrap();
        let local = NaiveDate::from_ymd_opt(2030, 7, 1)
            .unwrap()
            .and_hms_opt(18, 0, 0)
            .unwrap();
        let utc = local_to_utc(local, zone(jfk));
        assert_eq!(utc.naive_utc(), local + chrono::Duration::hours(4));
        assert_eq!(utc_to_local(utc, zone(jfk)), local);
        // 02:30 on the spring-forward night does not exist in New York.
        let gap = NaiveDate::from_ymd_opt(2030, 3, 10)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        let moved = utc_to_local(local_to_utc(gap, zone(jfk)), zone(jfk));
        assert_eq!(moved.format("%H:%M").to_string(), "03:30");
    }

    #[test]
    fn durations_print_like_duffel() {
        assert_eq!(iso_duration(304), "PT5H4M");
        assert_eq!(iso_duration(60), "PT1H0M");
        assert_eq!(iso_duration(1565), "P1DT2H5M");
    }
}
