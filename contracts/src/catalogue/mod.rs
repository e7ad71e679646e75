//! The catalogue of places, carriers and countries: lookups over static
//! data.

mod airlines;
mod airports;
mod countries;

pub use airlines::{AIRLINES, Airline};
pub use airports::{AIRPORTS, Airport, CITIES, City};
pub use countries::{COUNTRY_CODES, is_country_code};

/// Finds an airport by IATA code.
pub fn airport(iata: &str) -> Option<&'static Airport> {
    AIRPORTS.iter().find(|a| a.iata == iata)
}

/// Finds a metropolitan city by code.
pub fn city(code: &str) -> Option<&'static City> {
    CITIES.iter().find(|c| c.code == code)
}

/// Finds an airline by IATA designator.
pub fn airline(iata: &str) -> Option<&'static Airline> {
    AIRLINES.iter().find(|a| a.iata == iata)
}

/// The airports a place code stands for: the airport itself, or every
/// airport of a metropolitan city code.
pub fn airports_for_place(code: &str) -> Vec<&'static Airport> {
    match airport(code) {
        Some(a) => vec![a],
        None => AIRPORTS
            .iter()
            .filter(|a| a.city_code == Some(code))
            .collect(),
    }
}

/// Whether `airport` (an IATA airport code) is `place` or one of the
/// airports of the city `place` names.
pub fn place_includes(place: &str, airport: &str) -> bool {
    place == airport || self::airport(airport).is_some_and(|a| a.city_code == Some(place))
}

/// The countries (ISO 3166-1 alpha-2) of a place code's airports.
pub fn countries_of_place(code: &str) -> Vec<&'static str> {
    let mut countries: Vec<&'static str> =
        airports_for_place(code).iter().map(|a| a.country).collect();
    countries.sort_unstable();
    countries.dedup();
    countries
}

/// The IANA time zone of a place code (airport or city), if known.
pub fn time_zone_of_place(code: &str) -> Option<&'static str> {
    airport(code)
        .map(|a| a.time_zone)
        .or_else(|| city(code).map(|c| c.time_zone))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_unique_and_consistent() {
        for pair in AIRPORTS.windows(2) {
            assert!(
                pair[0].iata < pair[1].iata,
                "{} before {}",
                pair[0].iata,
                pair[1].iata
            );
        }
        for pair in AIRLINES.windows(2) {
            assert!(
                pair[0].iata < pair[1].iata,
                "{} before {}",
                pair[0].iata,
                pair[1].iata
            );
        }
        for a in AIRPORTS {
            assert!(
                a.time_zone.parse::<chrono_tz::Tz>().is_ok(),
                "bad zone for {}",
                a.iata
            );
            if let Some(code) = a.city_code {
                let c =
                    city(code).unwrap_or_else(|| panic!("{} names unknown city {code}", a.iata));
                assert!(
                    airport(c.code).is_none(),
                    "city code {} clashes with an airport",
                    c.code
                );
            }
        }
        for airline in AIRLINES {
            for hub in airline.hubs {
                assert!(
                    airport(hub).is_some(),
                    "{} hub {hub} is not an airport",
                    airline.iata
                );
            }
        }
        for c in CITIES {
            assert!(c.time_zone.parse::<chrono_tz::Tz>().is_ok());
            assert!(
                !airports_for_place(c.code).is_empty(),
                "city {} has no airport",
                c.code
            );
        }
    }

    #[test]
    fn city_codes_expand_to_their_airports() {
        let nyc: Vec<_> = airports_for_place("NYC").iter().map(|a| a.iata).collect();
        assert_eq!(nyc, vec!["EWR", "JFK", "LGA"]);
        assert_eq!(time_zone_of_place("NYC"), Some("America/New_York"));
        assert_eq!(time_zone_of_place("LAX"), Some("America/Los_Angeles"));
        assert!(airports_for_place("XXX").is_empty());
    }

    #[test]
    fn a_place_includes_itself_and_a_city_its_airports() {
        assert!(place_includes("JFK", "JFK"));
        assert!(place_includes("NYC", "JFK") && place_includes("NYC", "EWR"));
        assert!(!place_includes("JFK", "EWR"));
        assert!(!place_includes("NYC", "LHR"));
        assert!(!place_includes("LON", "JFK"));
        assert_eq!(countries_of_place("NYC"), vec!["US"]);
        assert_eq!(countries_of_place("LHR"), vec!["GB"]);
        assert!(countries_of_place("XXX").is_empty());
    }
}
