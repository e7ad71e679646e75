//! How long a provider asks us to wait after a 429.
//!
//! `Retry-After` is either seconds or an HTTP date; Duffel instead sends
//! `ratelimit-reset`, an HTTP date (some servers send seconds there, which
//! is accepted too).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// Anything larger is a Unix timestamp rather than a number of seconds.
const EPOCH_THRESHOLD: u64 = 1_000_000_000;

/// The wait a 429 answer asks for, measured from `now`. A reset time in the
/// past gives zero.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    ["retry-after", "ratelimit-reset"]
        .iter()
        .find_map(|name| header_wait(headers, name, now))
}

fn header_wait(headers: &HeaderMap, name: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    if let Ok(number) = value.parse::<u64>() {
        return Some(if number >= EPOCH_THRESHOLD {
            until(
                DateTime::from_timestamp(i64::try_from(number).ok()?, 0)?,
                now,
            )
        } else {
            Duration::from_secs(number)
        });
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    Some(until(date.with_timezone(&Utc), now))
}

fn until(reset: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (reset - now).to_std().unwrap_or(Duration::ZERO)
}
