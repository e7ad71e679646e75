//! Places and carriers as Duffel prints them: airports (with their city),
//! cities with their airports, and airlines.

use autobook_contracts::catalogue::{self, Airline, Airport};
use serde_json::{Value, json};

fn city_ref(code: &str, country: &str) -> Value {
    match catalogue::city(code) {
        Some(city) => json!({
            "id": format!("cit_{}_{}", code.to_lowercase(), country.to_lowercase()),
            "iata_code": city.code,
            "iata_country_code": country,
            "name": city.name,
        }),
        None => Value::Null,
    }
}

pub(crate) fn airport_json(airport: &Airport) -> Value {
    json!({
        "type": "airport",
        "id": format!("arp_{}_{}", airport.iata.to_lowercase(), airport.country.to_lowercase()),
        "iata_code": airport.iata,
        "icao_code": null,
        "iata_country_code": airport.country,
        "iata_city_code": airport.city_code,
        "name": airport.name,
        "city_name": airport.city,
        "time_zone": airport.time_zone,
        "latitude": airport.latitude,
        "longitude": airport.longitude,
        "city": airport.city_code.map_or(Value::Null, |code| city_ref(code, airport.country)),
        "airports": null,
    })
}

/// A requested place: an airport, or a city with its airports.
pub(crate) fn place_json(code: &str) -> Value {
    if let Some(airport) = catalogue::airport(code) {
        return airport_json(airport);
    }
    let airports = catalogue::airports_for_place(code);
    let country = airports.first().map_or("", |a| a.country);
    let mut city = city_ref(code, country);
    if let Some(object) = city.as_object_mut() {
        object.insert("type".into(), json!("city"));
        object.insert("iata_city_code".into(), json!(code));
        object.insert(
            "city_name".into(),
            object.get("name").cloned().unwrap_or(Value::Null),
        );
        object.insert(
            "time_zone".into(),
            json!(catalogue::time_zone_of_place(code)),
        );
        object.insert(
            "airports".into(),
            airports.iter().map(|a| airport_json(a)).collect(),
        );
    }
    city
}

pub(crate) fn place_type(code: &str) -> &'static str {
    if catalogue::airport(code).is_some() {
        "airport"
    } else {
        "city"
    }
}

pub(crate) fn carrier_json(airline: &Airline) -> Value {
    json!({
        "id": format!("arl_00009VME7D{:0>14}", airline.iata),
        "iata_code": airline.iata,
        "name": airline.name,
        "logo_symbol_url": null,
        "conditions_of_carriage_url": null,
    })
}
