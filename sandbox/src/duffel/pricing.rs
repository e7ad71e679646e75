//! Fares: from distance, cabin, airline and passenger type, converted to the
//! quoting currency, with the refund and change conditions that go with
//! them.
//!
//! One adult in economy pays about 40 USD + 0.09 USD/km; premium economy
//! x1.7, business x3.5, first x6; children 75%, infants 10%; connecting
//! itineraries 15% less; each airline has its own factor. About 15% of the
//! total is tax.

use autobook_contracts::Currency;
use autobook_contracts::trip::CabinClass;

use super::fare::Fare;
use super::model::{Condition, PassengerKind};
use super::schedule::Itinerary;
use crate::ids::stable_hash;

fn cabin_factor(cabin: CabinClass) -> f64 {
    match cabin {
        CabinClass::Economy => 1.0,
        CabinClass::PremiumEconomy => 1.7,
        CabinClass::Business => 3.5,
        CabinClass::First => 6.0,
    }
}

fn passenger_factor(kind: PassengerKind) -> f64 {
    match kind {
        PassengerKind::Adult => 1.0,
        PassengerKind::Child => 0.75,
        PassengerKind::Infant => 0.10,
    }
}

/// Between 0.85 and 1.25, fixed per airline.
fn airline_factor(iata: &str) -> f64 {
    0.85 + (stable_hash(&[iata, "fare"]) % 41) as f64 / 100.0
}

/// Units of `currency` per US dollar; unknown currencies are quoted 1:1.
fn usd_rate(currency: Currency) -> f64 {
    match currency.as_str() {
        "EUR" => 0.92,
        "GBP" => 0.79,
        "CHF" => 0.88,
        "CAD" => 1.36,
        "AUD" => 1.52,
        "JPY" => 150.0,
        "SEK" => 10.5,
        "NOK" => 10.6,
        "DKK" => 6.9,
        _ => 1.0,
    }
}

/// US dollars as minor units of `currency`.
pub(crate) fn usd_to_minor(usd: f64, currency: Currency) -> i64 {
    let scale = 10_f64.powi(currency.exponent() as i32);
    (usd * usd_rate(currency) * scale).round() as i64
}

/// One adult's fare for one itinerary, in US dollars.
fn adult_usd(itinerary: &Itinerary, cabin: CabinClass) -> f64 {
    let base = 40.0 + 0.09 * itinerary.distance_km();
    let connection = if itinerary.connections() > 0 {
        0.85
    } else {
        1.0
    };
    base * cabin_factor(cabin) * airline_factor(itinerary.airline.iata) * connection
}

/// What one adult typically pays to fly non-stop from `from` to `to`, in
/// US dollars: the fare model at the middle airline factor, before any
/// drift or motion. For tools that set plausible price limits.
pub fn typical_adult_usd(
    from: &autobook_contracts::catalogue::Airport,
    to: &autobook_contracts::catalogue::Airport,
    cabin: CabinClass,
) -> f64 {
    let base = 40.0 + 0.09 * super::geo::distance_km(from, to);
    base * cabin_factor(cabin) * 1.05
}

/// The price of flying `slices` for every passenger; `drift` moves the
/// price a few percent between searches (1.0 = none).
pub(crate) fn quote(
    slices: &[&Itinerary],
    cabin: CabinClass,
    passengers: &[PassengerKind],
    currency: Currency,
    drift: f64,
) -> Fare {
    let adult: f64 = slices.iter().map(|it| adult_usd(it, cabin)).sum::<f64>() * drift;
    let total = passengers
        .iter()
        .map(|kind| usd_to_minor(adult * passenger_factor(*kind), currency))
        .sum();
    Fare::from_total(total)
}

/// What identifies one way of flying a search for price motion: the owner,
/// the cabin and every flight with its date (not the passengers, so a
/// family sees the same moves as someone alone).
pub(crate) fn motion_key(slices: &[&Itinerary], cabin: CabinClass) -> u64 {
    let owner = slices.first().map_or("", |it| it.airline.iata);
    let flights: Vec<String> = slices
        .iter()
        .flat_map(|it| it.segments.iter())
        .map(|segment| segment.seat_key(cabin.as_str()))
        .collect();
    let mut parts = vec![owner, cabin.as_str()];
    parts.extend(flights.iter().map(String::as_str));
    stable_hash(&parts)
}

/// Refund and change conditions, fixed per airline and cabin.
pub(crate) fn conditions(
    airline: &str,
    cabin: CabinClass,
    currency: Currency,
) -> (Condition, Condition) {
    let roll = stable_hash(&[airline, cabin.as_str(), "conditions"]) % 4;
    let penalty = |usd: f64| Condition::Allowed {
        penalty: usd_to_minor(usd, currency),
    };
    match (cabin, roll) {
        (CabinClass::Economy, 0 | 1) => (Condition::NotAllowed, penalty(75.0)),
        (CabinClass::Economy, 2) => (penalty(100.0), penalty(50.0)),
        (CabinClass::Economy, _) => (penalty(150.0), Condition::Unknown),
        (_, 0) => (penalty(200.0), penalty(100.0)),
        (_, _) => (penalty(0.0), penalty(0.0)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::duffel::schedule::itineraries;

    fn one_itinerary() -> Itinerary {
        let date = NaiveDate::from_ymd_opt(2031, 3, 3).unwrap();
        itineraries(1, "JFK", "LAX", date, 1).remove(0)
    }

    #[test]
    fn fares_scale_with_cabin_and_passengers() {
        let it = one_itinerary();
        let usd = Currency::USD;
        let one = quote(
            &[&it],
            CabinClass::Economy,
            &[PassengerKind::Adult],
            usd,
            1.0,
        );
        let business = quote(
            &[&it],
            CabinClass::Business,
            &[PassengerKind::Adult],
            usd,
            1.0,
        );
        assert!(business.total > one.total * 3);
        let family = [
            PassengerKind::Adult,
            PassengerKind::Child,
            PassengerKind::Infant,
        ];
        let three = quote(&[&it], CabinClass::Economy, &family, usd, 1.0);
        let expected = one.total as f64 * 1.85;
        assert!(
            (three.total as f64 - expected).abs() < 5.0,
            "{} vs {expected}",
            three.total
        );
        assert_eq!(one.base + one.tax, one.total);
        assert!(one.tax > 0);
    }

    #[test]
    fn motion_keys_tell_flights_dates_and_cabins_apart() {
        let date = NaiveDate::from_ymd_opt(2031, 3, 3).unwrap();
        let options = itineraries(1, "JFK", "LAX", date, 1);
        let (first, second) = (&options[0], &options[1]);
        let economy = motion_key(&[first], CabinClass::Economy);
        assert_eq!(economy, motion_key(&[first], CabinClass::Economy));
        assert_ne!(economy, motion_key(&[second], CabinClass::Economy));
        assert_ne!(economy, motion_key(&[first], CabinClass::Business));
        assert_ne!(economy, motion_key(&[first, second], CabinClass::Economy));
        let next_day = itineraries(1, "JFK", "LAX", date.succ_opt().unwrap(), 1).remove(0);
        assert_ne!(economy, motion_key(&[&next_day], CabinClass::Economy));
    }

    #[test]
    fn currencies_use_their_minor_units() {
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(usd_to_minor(10.0, jpy), 1500);
        assert_eq!(usd_to_minor(10.0, Currency::USD), 1000);
        assert_eq!(usd_to_minor(10.0, Currency::EUR), 920);
    }

    #[test]
    fn a_raise_always_changes_the_total() {
        let fare = Fare::from_total(10_000);
        let raised = fare.raised(1.03);
        assert_eq!(raised.total, 10_300);
        assert_eq!(raised.base + raised.tax, raised.total);
        assert!(Fare::from_total(1).raised(1.03).total > 1);
    }
}
