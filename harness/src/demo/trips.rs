//! Generates plausible trip requests (fake travellers, real airports) from
//! a seed. In the `mixed` scenario a share of trips is built to fail: a
//! declined card, a card without funds, a price ceiling no fare meets.
//!
//! Some trips take an infant on an adult's lap; travellers on international
//! trips (and a few others) carry passports, so offers of airlines that
//! require identity documents can be booked. These extras are drawn from a
//! second random stream, so the rest of each trip is what the seed always
//! gave.

use chrono::{Days, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use autobook_contracts::catalogue;
use autobook_contracts::trip::TripRequest;

use crate::demo::args::Scenario;

const AIRPORTS: &[&str] = &[
    "ATL", "LAX", "ORD", "DFW", "DEN", "JFK", "SFO", "SEA", "LAS", "MCO", "MIA", "BOS", "EWR",
    "PHX", "IAH", "LHR", "CDG", "AMS", "FRA", "MAD", "BCN", "FCO", "MUC", "DUB", "ZRH", "YYZ",
    "YVR", "MEX", "NRT", "HND", "SIN", "HKG", "DXB", "SYD", "ICN",
];
const GIVEN: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Tony",
    "Radia",
];
const FAMILY: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov", "Knuth", "Allen", "Hoare",
    "Perlman",
];

/// How a generated trip is meant to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    Book,
    DeclinedCard,
    InsufficientFunds,
    PriceTooLow,
}

/// `count` trips departing after `today`.
pub fn generate(
    count: usize,
    scenario: Scenario,
    seed: u64,
    today: NaiveDate,
) -> Vec<(Intent, TripRequest)> {
    generate_between(count, scenario, seed, today, AIRPORTS)
}

/// `count` trips departing after `today`, between `airports` (at least
/// two, from the catalogue).
pub fn generate_between(
    count: usize,
    scenario: Scenario,
    seed: u64,
    today: NaiveDate,
    airports: &[&'static str],
) -> Vec<(Intent, TripRequest)> {
    let mut rng = Draws::new(seed);
    (0..count)
        .map(|n| trip(&mut rng, n, scenario, today, airports))
        .collect()
}

/// The random streams of a generation: the trips', and the extras'
/// (infants, passports).
struct Draws {
    trips: StdRng,
    extras: StdRng,
}

impl Draws {
    fn new(seed: u64) -> Self {
        Draws {
            trips: StdRng::seed_from_u64(seed),
            extras: StdRng::seed_from_u64(seed.rotate_left(29) ^ 0x1AF_D0C5),
        }
    }
}

/// Share of trips with an infant on an adult's lap.
const INFANT_SHARE: f64 = 0.08;
/// Share of domestic trips whose travellers still give their passports.
const DOMESTIC_PASSPORT_SHARE: f64 = 0.1;

/// Airports that are some airline's hub: the sandbox flies non-stop
/// between any two of them, so every trip between them finds offers.
pub const HUBS: &[&str] = &[
    "ATL", "LAX", "ORD", "DFW", "DEN", "JFK", "SFO", "SEA", "LAS", "MCO", "MIA", "BOS", "EWR",
    "PHX", "IAH", "LHR", "CDG", "AMS", "FRA", "MAD", "MUC", "DUB", "ZRH", "YYZ", "YVR", "NRT",
    "HND", "SIN", "HKG", "DXB", "SYD",
];

/// `count` watched trips between hubs, in economy, each with a price
/// limit between `limits.0` and `limits.1` times the route's typical fare
/// (the sandbox's fare model): some fares come within it as prices move,
/// some never do.
pub fn generate_watched(
    count: usize,
    seed: u64,
    today: NaiveDate,
    limits: (f64, f64),
) -> Vec<TripRequest> {
    let mut rng = Draws::new(seed);
    (0..count)
        .map(|n| {
            let (_, mut trip) = trip(&mut rng, n, Scenario::Watch, today, HUBS);
            trip.cabin_class = autobook_contracts::trip::CabinClass::Economy;
            trip.return_date = None;
            trip.passengers
                .retain(|p| p.age_on(trip.departure_date) >= 18);
            let typical = autobook_sandbox::typical_adult_fare_usd(
                trip.origin.as_str(),
                trip.destination.as_str(),
                trip.cabin_class,
            )
            .unwrap_or(400.0);
            let share = rng.trips.random_range(limits.0..limits.1);
            let cents = typical * share * trip.passengers.len() as f64 * 100.0;
            trip.max_price.amount_minor = (cents.round() as i64).max(100);
            trip
        })
        .collect()
}

fn intent(rng: &mut StdRng, scenario: Scenario) -> Intent {
    if matches!(scenario, Scenario::Happy | Scenario::Watch) {
        return Intent::Book;
    }
    match rng.random_range(0..100) {
        0..6 => Intent::DeclinedCard,
        6..10 => Intent::InsufficientFunds,
        10..15 => Intent::PriceTooLow,
        _ => Intent::Book,
    }
}

fn trip(
    draws: &mut Draws,
    n: usize,
    scenario: Scenario,
    today: NaiveDate,
    airports: &[&'static str],
) -> (Intent, TripRequest) {
    let rng = &mut draws.trips;
    let intent = intent(rng, scenario);
    let origin = *airports.choose(rng).unwrap_or(&"JFK");
    let destination = loop {
        let candidate = *airports.choose(rng).unwrap_or(&"LAX");
        if candidate != origin
            && !(matches!(origin, "JFK" | "EWR") && matches!(candidate, "JFK" | "EWR"))
            && !(matches!(origin, "NRT" | "HND") && matches!(candidate, "NRT" | "HND"))
        {
            break candidate;
        }
    };
    let departure = today
        .checked_add_days(Days::new(rng.random_range(14..180)))
        .unwrap_or(today);
    let return_date = rng
        .random_bool(0.2)
        .then(|| departure.checked_add_days(Days::new(rng.random_range(2..21))));
    let adults = if rng.random_bool(0.7) { 1 } else { 2 };
    let mut passengers: Vec<_> = (0..adults)
        .map(|i| passenger(rng, n, i, 1950, 2000))
        .collect();
    if rng.random_bool(0.15) {
        passengers.push(passenger(rng, n, adults, 2012, 2020));
    }
    let extras = &mut draws.extras;
    if extras.random_bool(INFANT_SHARE) {
        passengers.push(infant(extras, n, passengers.len(), today));
    }
    let international =
        catalogue::countries_of_place(origin) != catalogue::countries_of_place(destination);
    if international || extras.random_bool(DOMESTIC_PASSPORT_SHARE) {
        for (i, passenger) in passengers.iter_mut().enumerate() {
            passenger["identity_document"] = passport(extras, n, i, today);
        }
    }
    let (cabin, per_person) = match rng.random_range(0..100) {
        0..8 => ("business", 2_000_000),
        8..15 => ("premium_economy", 900_000),
        _ => ("economy", 500_000),
    };
    let max_price = if intent == Intent::PriceTooLow {
        20_00
    } else {
        per_person * passengers.len() as i64
    };
    let payment_method = match intent {
        Intent::DeclinedCard => "pm_card_chargeDeclined",
        Intent::InsufficientFunds => "pm_card_chargeDeclinedInsufficientFunds",
        Intent::Book | Intent::PriceTooLow => "pm_card_visa",
    };
    let mut value = json!({
        "user_id": format!("usr_demo_{n:05}"),
        "origin": origin,
        "destination": destination,
        "departure_date": departure,
        "passengers": passengers,
        "cabin_class": cabin,
        "max_price": {"amount_minor": max_price, "currency": "USD"},
        "payment": {"payment_method": payment_method},
        "contact_email": format!("traveller{n}@example.com"),
    });
    if let Some(Some(date)) = return_date {
        value["return_date"] = json!(date);
    }
    let trip = serde_json::from_value(value)
        .unwrap_or_else(|e| panic!("generated trip {n} is invalid: {e}"));
    (intent, trip)
}

/// A baby born 1 to 16 months before `today`: under 2 on any departure
/// the generator picks (at most 180 days ahead).
fn infant(rng: &mut StdRng, n: usize, i: usize, today: NaiveDate) -> serde_json::Value {
    let born = today.checked_sub_days(Days::new(rng.random_range(30..480)));
    let mut infant = passenger(rng, n, i, 2000, 2000);
    infant["born_on"] = json!(born);
    infant
}

/// A passport valid for 2 to 10 years from `today`.
fn passport(rng: &mut StdRng, n: usize, i: usize, today: NaiveDate) -> serde_json::Value {
    let expires = today.checked_add_days(Days::new(rng.random_range(730..3650)));
    let country = ["US", "GB", "FR", "DE", "JP", "CA"]
        .choose(rng)
        .copied()
        .unwrap_or("US");
    json!({
        "type": "passport",
        "unique_identifier": format!("P{:08}", (n * 10 + i) % 100_000_000),
        "issuing_country_code": country,
        "expires_on": expires,
    })
}

fn passenger(
    rng: &mut StdRng,
    n: usize,
    i: usize,
    from_year: i32,
    to_year: i32,
) -> serde_json::Value {
    let born = NaiveDate::from_ymd_opt(
        rng.random_range(from_year..=to_year),
        rng.random_range(1..=12),
        rng.random_range(1..=28),
    );
    json!({
        "title": if i.is_multiple_of(2) { "ms" } else { "mr" },
        "gender": if i.is_multiple_of(2) { "f" } else { "m" },
        "given_name": GIVEN.choose(rng).unwrap_or(&"Ada"),
        "family_name": FAMILY.choose(rng).unwrap_or(&"Lovelace"),
        "born_on": born,
        "email": format!("traveller{n}.{i}@example.com"),
        "phone_number": format!("+1415555{:04}", (n * 10 + i) % 10_000),
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn generated_trips_are_valid_and_deterministic() {
        let today = Utc::now().date_naive();
        let first = generate(300, Scenario::Mixed, 1, today);
        let again = generate(300, Scenario::Mixed, 1, today);
        assert_eq!(
            first.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
            again.into_iter().map(|(_, t)| t).collect::<Vec<_>>()
        );
        for (_, trip) in &first {
            trip.validate(Utc::now()).expect("valid trip");
        }
        for wanted in [
            Intent::Book,
            Intent::DeclinedCard,
            Intent::InsufficientFunds,
            Intent::PriceTooLow,
        ] {
            assert!(
                first.iter().any(|(i, _)| *i == wanted),
                "{wanted:?} missing"
            );
        }
        assert!(
            generate(50, Scenario::Happy, 1, today)
                .iter()
                .all(|(i, _)| *i == Intent::Book)
        );
    }

    #[test]
    fn some_trips_carry_an_infant_and_international_ones_passports() {
        let today = Utc::now().date_naive();
        let trips = generate(300, Scenario::Happy, 3, today);
        let with_infant = trips
            .iter()
            .filter(|(_, t)| {
                t.passengers
                    .iter()
                    .any(|p| p.is_infant_on(t.departure_date))
            })
            .count();
        assert!((5..60).contains(&with_infant), "{with_infant}");
        for (_, trip) in &trips {
            let international = catalogue::countries_of_place(trip.origin.as_str())
                != catalogue::countries_of_place(trip.destination.as_str());
            if international {
                assert!(trip.carries_identity_documents(), "{:?}", trip.origin);
            }
        }
        assert!(
            trips.iter().any(|(_, t)| !t.carries_identity_documents()),
            "domestic trips mostly go without"
        );
        // The extras leave the rest of each trip as the seed gave it.
        let before: Vec<_> = trips
            .iter()
            .map(|(_, t)| (t.origin.clone(), t.departure_date, t.cabin_class))
            .collect();
        let mut plain = Draws::new(3);
        plain.extras = StdRng::seed_from_u64(0);
        let again: Vec<_> = (0..300)
            .map(|n| trip(&mut plain, n, Scenario::Happy, today, AIRPORTS).1)
            .map(|t| (t.origin, t.departure_date, t.cabin_class))
            .collect();
        assert_eq!(before, again);
    }
}
