//! Which flights exist: airlines serving a route, their departures and
//! connections, all derived from the seed, the route and the date, so a
//! repeated search sees the same flights.
//!
//! An airline serves a route when it has a hub at either end or is based in
//! either country (Duffel Airways, `ZZ`, joins some routes). It flies
//! non-stop when it hubs at one end, otherwise it connects at its hub. At
//! most five airlines per route, one to three departures each per day.

use autobook_contracts::catalogue::{self, AIRLINES, Airline, Airport};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::geo;
use crate::ids::stable_hash;

const MAX_AIRLINES_PER_ROUTE: usize = 5;
const DUFFEL_AIRWAYS: &str = "ZZ";
/// Used for forced connections when an airline has no other hub.
const NEUTRAL_HUBS: [&str; 4] = ["IST", "DOH", "FRA", "AMS"];

/// The aircraft flying a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Aircraft {
    pub(crate) iata_code: &'static str,
    pub(crate) name: &'static str,
}

/// One flight leg.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub(crate) carrier: &'static Airline,
    pub(crate) flight_number: String,
    pub(crate) origin: &'static Airport,
    pub(crate) destination: &'static Airport,
    /// Local time at the origin.
    pub(crate) departing_at: NaiveDateTime,
    /// Local time at the destination.
    pub(crate) arriving_at: NaiveDateTime,
    pub(crate) departing_utc: DateTime<Utc>,
    pub(crate) arriving_utc: DateTime<Utc>,
    pub(crate) distance_km: f64,
    pub(crate) aircraft: Aircraft,
    pub(crate) origin_terminal: Option<&'static str>,
    pub(crate) destination_terminal: Option<&'static str>,
}

impl Segment {
    pub(crate) fn duration_minutes(&self) -> i64 {
        (self.arriving_utc - self.departing_utc).num_minutes()
    }

    /// The inventory bucket of this flight in a cabin.
    pub(crate) fn seat_key(&self, cabin: &str) -> String {
        format!(
            "{}{}|{}|{}|{}|{cabin}",
            self.carrier.iata,
            self.flight_number,
            self.origin.iata,
            self.destination.iata,
            self.departing_at.date()
        )
    }
}

/// One way of flying one slice with one airline.
#[derive(Debug, Clone)]
pub(crate) struct Itinerary {
    pub(crate) airline: &'static Airline,
    pub(crate) segments: Vec<Segment>,
}

impl Itinerary {
    /// Departure of the first leg to arrival of the last, in minutes.
    pub(crate) fn duration_minutes(&self) -> i64 {
        match (self.segments.first(), self.segments.last()) {
            (Some(first), Some(last)) => (last.arriving_utc - first.departing_utc).num_minutes(),
            _ => 0,
        }
    }

    pub(crate) fn distance_km(&self) -> f64 {
        self.segments.iter().map(|s| s.distance_km).sum()
    }

    pub(crate) fn connections(&self) -> usize {
        self.segments.len().saturating_sub(1)
    }
}

/// Duffel's documented test routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestRoute {
    Normal,
    /// PVD-RAI: no offers.
    NoOffers,
    /// STN-LHR: the suppliers time out.
    SupplierTimeout,
    /// LHR-DXB: connecting flights only.
    ConnectingOnly,
}

impl TestRoute {
    pub(crate) fn of(origin: &str, destination: &str) -> TestRoute {
        let pair = |a: &str, b: &str| {
            (origin == a && destination == b) || (origin == b && destination == a)
        };
        if pair("PVD", "RAI") {
            TestRoute::NoOffers
        } else if pair("STN", "LHR") {
            TestRoute::SupplierTimeout
        } else if pair("LHR", "DXB") {
            TestRoute::ConnectingOnly
        } else {
            TestRoute::Normal
        }
    }
}

/// An airline's way of serving a place pair.
#[derive(Debug, Clone, Copy)]
struct Service {
    airline: &'static Airline,
    origin: &'static Airport,
    destination: &'static Airport,
    via: Option<&'static Airport>,
}

/// Every itinerary between two place codes on a local departure date.
pub(crate) fn itineraries(
    seed: u64,
    origin: &str,
    destination: &str,
    date: NaiveDate,
    max_connections: u8,
) -> Vec<Itinerary> {
    let route = TestRoute::of(origin, destination);
    if matches!(route, TestRoute::NoOffers | TestRoute::SupplierTimeout) {
        return Vec::new();
    }
    let seed_text = seed.to_string();
    let day = date.to_string();
    let mut rng = StdRng::seed_from_u64(stable_hash(&[&seed_text, origin, destination, &day]));
    let origins = catalogue::airports_for_place(origin);
    let destinations = catalogue::airports_for_place(destination);
    let connecting_only = route == TestRoute::ConnectingOnly;
    let mut services: Vec<Service> = AIRLINES
        .iter()
        .filter_map(|airline| {
            choose_service(airline, &origins, &destinations, connecting_only, &mut rng)
        })
        .filter(|service| max_connections > 0 || service.via.is_none())
        .collect();
    services.shuffle(&mut rng);
    services.sort_by_key(|service| service.via.is_some());
    services.truncate(MAX_AIRLINES_PER_ROUTE);
    let mut found = Vec::new();
    for service in services {
        for departure in departure_times(&mut rng) {
            found.push(fly(&service, date.and_time(departure), &mut rng));
        }
    }
    found
}

fn choose_service(
    airline: &'static Airline,
    origins: &[&'static Airport],
    destinations: &[&'static Airport],
    connecting_only: bool,
    rng: &mut StdRng,
) -> Option<Service> {
    let hubs_at = |airport: &Airport| airline.hubs.contains(&airport.iata);
    let qualifies = if airline.iata == DUFFEL_AIRWAYS {
        connecting_only || rng.random::<f64>() < 0.35
    } else {
        origins
            .iter()
            .chain(destinations)
            .any(|a| hubs_at(a) || a.country == airline.country)
    };
    if !qualifies {
        return None;
    }
    let pairs: Vec<(&'static Airport, &'static Airport)> = origins
        .iter()
        .flat_map(|o| destinations.iter().map(move |d| (*o, *d)))
        .filter(|(o, d)| o.iata != d.iata && geo::distance_km(o, d) >= 150.0)
        .collect();
    let non_stop: Vec<_> = pairs
        .iter()
        .filter(|(o, d)| hubs_at(o) || hubs_at(d))
        .collect();
    if !connecting_only && !non_stop.is_empty() {
        let (origin, destination) = *non_stop[rng.random_range(0..non_stop.len())];
        return Some(Service {
            airline,
            origin,
            destination,
            via: None,
        });
    }
    let hubs: Vec<&'static Airport> = if connecting_only {
        let own: Vec<_> = airline
            .hubs
            .iter()
            .filter_map(|h| catalogue::airport(h))
            .collect();
        let neutral = NEUTRAL_HUBS.iter().filter_map(|h| catalogue::airport(h));
        own.into_iter().chain(neutral).collect()
    } else {
        airline
            .hubs
            .iter()
            .filter_map(|h| catalogue::airport(h))
            .collect()
    };
    best_connection(airline, &pairs, &hubs, connecting_only)
}

/// The pair and hub with the smallest detour, if the detour is sensible.
fn best_connection(
    airline: &'static Airline,
    pairs: &[(&'static Airport, &'static Airport)],
    hubs: &[&'static Airport],
    forced: bool,
) -> Option<Service> {
    let mut best: Option<(f64, Service)> = None;
    for (origin, destination) in pairs {
        let direct = geo::distance_km(origin, destination);
        for hub in hubs {
            let first = geo::distance_km(origin, hub);
            let second = geo::distance_km(hub, destination);
            if first < 300.0 || second < 300.0 {
                continue;
            }
            let detour = first + second;
            if !forced && detour > direct * 1.5 + 400.0 {
                continue;
            }
            if best.as_ref().is_none_or(|(km, _)| detour < *km) {
                let service = Service {
                    airline,
                    origin,
                    destination,
                    via: Some(hub),
                };
                best = Some((detour, service));
            }
        }
    }
    best.map(|(_, service)| service)
}

/// One to three distinct local departure times between 06:00 and 21:55.
fn departure_times(rng: &mut StdRng) -> Vec<NaiveTime> {
    let count = rng.random_range(1..=3);
    let mut slots: Vec<u32> = Vec::new();
    while slots.len() < count {
        let slot = rng.random_range(72..264_u32); // 5-minute slots from 06:00
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    slots.sort_unstable();
    slots
        .into_iter()
        .filter_map(|slot| NaiveTime::from_hms_opt(slot / 12, (slot % 12) * 5, 0))
        .collect()
}

fn fly(service: &Service, departure: NaiveDateTime, rng: &mut StdRng) -> Itinerary {
    let mut segments = Vec::new();
    let stops: Vec<&'static Airport> = match service.via {
        Some(hub) => vec![service.origin, hub, service.destination],
        None => vec![service.origin, service.destination],
    };
    let mut departing_utc = geo::local_to_utc(departure, geo::zone(service.origin));
    for leg in stops.windows(2) {
        let segment = leg_segment(service.airline, leg[0], leg[1], departing_utc, rng);
        let layover = rng.random_range(12..=36_i64) * 5;
        departing_utc = segment.arriving_utc + chrono::Duration::minutes(layover);
        segments.push(segment);
    }
    Itinerary {
        airline: service.airline,
        segments,
    }
}

fn leg_segment(
    carrier: &'static Airline,
    origin: &'static Airport,
    destination: &'static Airport,
    departing_utc: DateTime<Utc>,
    rng: &mut StdRng,
) -> Segment {
    let distance_km = geo::distance_km(origin, destination);
    let arriving_utc = departing_utc + chrono::Duration::minutes(geo::block_minutes(distance_km));
    const TERMINALS: [Option<&str>; 6] =
        [Some("1"), Some("2"), Some("3"), Some("5"), Some("B"), None];
    Segment {
        carrier,
        flight_number: rng.random_range(10..=4999_u32).to_string(),
        origin,
        destination,
        departing_at: geo::utc_to_local(departing_utc, geo::zone(origin)),
        arriving_at: geo::utc_to_local(arriving_utc, geo::zone(destination)),
        departing_utc,
        arriving_utc,
        distance_km,
        aircraft: aircraft_for(distance_km),
        origin_terminal: TERMINALS[rng.random_range(0..TERMINALS.len())],
        destination_terminal: TERMINALS[rng.random_range(0..TERMINALS.len())],
    }
}

fn aircraft_for(distance_km: f64) -> Aircraft {
    if distance_km < 2500.0 {
        Aircraft {
            iata_code: "320",
            name: "Airbus A320",
        }
    } else if distance_km < 7000.0 {
        Aircraft {
            iata_code: "789",
            name: "Boeing 787-9",
        }
    } else {
        Aircraft {
            iata_code: "359",
            name: "Airbus A350-900",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2031, 5, 14).unwrap()
    }

    #[test]
    fn same_seed_same_flights() {
        let a = itineraries(3, "NYC", "LON", date(), 1);
        let b = itineraries(3, "NYC", "LON", date(), 1);
        assert!(!a.is_empty());
        let numbers = |list: &[Itinerary]| -> Vec<String> {
            list.iter()
                .flat_map(|i| i.segments.iter().map(|s| s.seat_key("economy")))
                .collect()
        };
        assert_eq!(numbers(&a), numbers(&b));
        let airlines: std::collections::BTreeSet<_> = a.iter().map(|i| i.airline.iata).collect();
        assert!(airlines.len() <= MAX_AIRLINES_PER_ROUTE);
    }

    #[test]
    fn non_stop_only_respects_max_connections() {
        for itinerary in itineraries(5, "LAX", "FRA", date(), 0) {
            assert_eq!(itinerary.connections(), 0);
            let hub_end = itinerary.segments[0].origin.iata;
            let other_end = itinerary.segments[0].destination.iata;
            assert!(
                itinerary
                    .airline
                    .hubs
                    .iter()
                    .any(|h| *h == hub_end || *h == other_end)
            );
        }
    }

    #[test]
    fn test_routes_behave_as_documented() {
        assert!(itineraries(1, "PVD", "RAI", date(), 2).is_empty());
        assert!(itineraries(1, "STN", "LHR", date(), 2).is_empty());
        let connecting = itineraries(1, "LHR", "DXB", date(), 1);
        assert!(!connecting.is_empty());
        assert!(connecting.iter().all(|i| i.connections() == 1));
        assert!(itineraries(1, "LHR", "DXB", date(), 0).is_empty());
    }

    #[test]
    fn connections_chain_in_time() {
        for itinerary in itineraries(11, "BOS", "MUC", date(), 1) {
            for pair in itinerary.segments.windows(2) {
                assert_eq!(pair[0].destination.iata, pair[1].origin.iata);
                let layover = (pair[1].departing_utc - pair[0].arriving_utc).num_minutes();
                assert!((60..=180).contains(&layover), "{layover}");
            }
            assert!(itinerary.duration_minutes() > 0);
        }
    }
}
