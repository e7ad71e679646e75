//! How dates, durations, stops and places read in an email.

use autobook_contracts::catalogue;
use autobook_contracts::codes::PlaceCode;
use chrono::{NaiveDate, NaiveDateTime};

/// "Sat 13 Jun 2020, 16:38".
pub fn date_time(time: NaiveDateTime) -> String {
    time.format("%a %-d %b %Y, %H:%M").to_string()
}

/// "Fri 24 Apr 2020".
pub fn date(day: NaiveDate) -> String {
    day.format("%a %-d %b %Y").to_string()
}

/// "2h 26m", "45m", "26h 0m".
pub fn duration(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m}m"),
    }
}

/// "non-stop", "1 stop", "2 stops".
pub fn stops(count: u8) -> String {
    match count {
        0 => "non-stop".to_owned(),
        1 => "1 stop".to_owned(),
        n => format!("{n} stops"),
    }
}

/// "1 passenger", "3 passengers".
pub fn passengers(count: u8) -> String {
    match count {
        1 => "1 passenger".to_owned(),
        n => format!("{n} passengers"),
    }
}

/// "JFK (New York)" when the catalogue knows the place, else "JFK".
pub fn place(code: &PlaceCode) -> String {
    let code = code.as_str();
    let city = catalogue::airport(code)
        .map(|airport| airport.city)
        .or_else(|| catalogue::city(code).map(|city| city.name));
    match city {
        Some(city) => format!("{code} ({city})"),
        None => code.to_owned(),
    }
}

/// "Outbound" and "Return" for a round trip, "Flight" for one way, then
/// "Flight 3"... for longer itineraries.
pub fn slice_label(index: usize, count: usize) -> String {
    match (index, count) {
        (0, 1) => "Flight".to_owned(),
        (0, 2) => "Outbound".to_owned(),
        (1, 2) => "Return".to_owned(),
        (i, _) => format!("Flight {}", i + 1),
    }
}
