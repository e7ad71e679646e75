//! The schema of `POST /v1/trip-requests`'s body in the OpenAPI document:
//! the contract's `TripRequest` without `user_id` (the token's subject),
//! made as exact as a schema can be about what the gateway accepts. Codes
//! list the catalogue's places, airlines and countries; counts, ranges and
//! forms are stated. What no schema can state (a date against today in the
//! origin's time zone, one field against another, the ages of passengers)
//! is said in words, on the field and in the 422 answer: a body the schema
//! allows is refused only for one of those.

use chrono::{Days, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Value, json};

use autobook_contracts::catalogue::{AIRLINES, AIRPORTS, CITIES, COUNTRY_CODES};
use autobook_contracts::trip::{MAX_DAYS_AHEAD, MAX_PASSENGERS, TripRequest};

/// The 422 answer of a trip request.
pub const REFUSED: &str = "A field is missing, malformed or breaks a rule; `field` names it and \
    `code` the rule. Beyond what the schema states, a trip is refused when: the departure date \
    is before today in the origin's time zone (date_in_past) or more than 361 days ahead \
    (date_too_far_ahead); destination is the origin or its city \
    (same_origin_and_destination); return_date is before departure_date \
    (return_before_departure); book_by is not between today and departure_date \
    (book_by_out_of_range); no passenger is an adult at departure (no_adult), infants \
    outnumber adults (too_many_infants), a passenger is born on or after departure \
    (born_after_departure) or over 120 (implausible_age); an identity document expires on or \
    before the last travel date (document_expired); departure_window's earliest is not before \
    its latest (empty_departure_window); or a name, email address or phone number is not of \
    the form its field describes (invalid_field)";

/// Rules of a field the schema cannot state, added to its description.
const RULES: &[(&str, &str)] = &[
    (
        "departure_date",
        "Today or later in the origin's time zone, at most 361 days ahead.",
    ),
    ("return_date", "On or after departure_date."),
    ("book_by", "Between today and departure_date."),
    (
        "destination",
        "An airport or city autobook serves, not the origin nor its city.",
    ),
    ("origin", "An airport or city autobook serves."),
    ("departure_window", "earliest must be before latest."),
];

/// The body's schema, registered as `TripRequestBody`.
pub fn body(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = serde_json::to_value(<TripRequest as JsonSchema>::json_schema(generator))
        .unwrap_or_default();
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.remove("user_id");
        for (field, rule) in RULES {
            if let Some(property) = properties.get_mut(*field) {
                let described = match property["description"].as_str() {
                    Some(description) => format!("{description} {rule}"),
                    None => (*rule).to_owned(),
                };
                property["description"] = described.into();
            }
        }
        if let Some(passengers) = properties.get_mut("passengers") {
            passengers["minItems"] = 1.into();
            passengers["maxItems"] = MAX_PASSENGERS.into();
        }
        if let Some(airlines) = properties.get_mut("airlines") {
            airlines["uniqueItems"] = true.into();
        }
        if let Some(max_price) = properties.get_mut("max_price") {
            max_price["properties"] = json!({"amount_minor": {"minimum": 1}});
        }
    }
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|name| name != "user_id");
    }
    schema["title"] = "TripRequestBody".into();
    let definitions = generator.definitions_mut();
    definitions.insert("TripRequestBody".into(), schema);
    let mut places: Vec<&str> = AIRPORTS.iter().map(|a| a.iata).collect();
    places.extend(CITIES.iter().map(|c| c.code));
    places.sort_unstable();
    places.dedup();
    let airlines: Vec<&str> = AIRLINES.iter().map(|a| a.iata).collect();
    let countries: Vec<&str> = COUNTRY_CODES.to_vec();
    let exact: [(&str, Value); 5] = [
        ("PlaceCode", json!({"enum": places})),
        ("AirlineCode", json!({"enum": airlines})),
        ("IssuingCountry", json!({"enum": countries})),
        ("PhoneNumber", json!({"pattern": "^\\+[1-9][0-9]{7,14}$"})),
        ("EmailAddress", json!({"maxLength": 254})),
    ];
    for (name, constraint) in exact {
        if let Some(Value::Object(definition)) = definitions.get_mut(name)
            && let Value::Object(constraint) = constraint
        {
            definition.extend(constraint);
        }
    }
    schemars::json_schema!({"$ref": "#/components/schemas/TripRequestBody"})
}

/// A body the gateway accepts: one adult, JFK to LAX in 60 days.
pub fn example() -> Value {
    let departure = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(60))
        .unwrap_or_default();
    json!({
        "origin": "JFK",
        "destination": "LAX",
        "departure_date": departure,
        "passengers": [{
            "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
            "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+14155550100"
        }],
        "cabin_class": "economy",
        "max_price": {"amount_minor": 500_000, "currency": "USD"},
        "payment": {"payment_method": "pm_card_visa"},
        "contact_email": "amelia@example.com"
    })
}

/// `MAX_DAYS_AHEAD` is the 361 of the rules above.
const _: () = assert!(MAX_DAYS_AHEAD == 361);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trip_body::parse_trip;
    use autobook_contracts::codes::UserId;

    #[test]
    fn the_example_is_accepted() {
        let body = serde_json::to_vec(&example()).unwrap();
        let user = UserId::parse("usr_example").unwrap();
        assert!(parse_trip(&body, &user, Utc::now()).is_ok());
    }

    #[test]
    fn codes_are_the_catalogues_and_counts_are_stated() {
        let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
        body(&mut generator);
        let definitions = generator.definitions();
        let places = definitions["PlaceCode"]["enum"].as_array().unwrap();
        assert!(places.contains(&json!("JFK")) && places.contains(&json!("NYC")));
        assert!(!places.contains(&json!("ZZZ")));
        let body = &definitions["TripRequestBody"]["properties"];
        assert_eq!(body["passengers"]["maxItems"], json!(MAX_PASSENGERS));
        assert_eq!(body["airlines"]["uniqueItems"], json!(true));
        assert!(
            body["departure_date"]["description"]
                .as_str()
                .unwrap()
                .contains("Today or later")
        );
    }
}
