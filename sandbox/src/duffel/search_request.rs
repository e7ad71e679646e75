//! Reading an offer request body: slices, passengers, cabin class and
//! maximum connections, with place codes checked against the catalogue.

use autobook_contracts::catalogue;
use autobook_contracts::trip::CabinClass;
use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::errors::DuffelError;
use super::model::{PassengerKind, RequestedSlice};
use super::request::{Fields, element};

const MAX_PASSENGERS: usize = 9;
const MAX_SLICES: usize = 4;

/// A validated search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchRequest {
    pub(crate) slices: Vec<RequestedSlice>,
    pub(crate) passengers: Vec<(PassengerKind, Option<u8>)>,
    pub(crate) cabin: CabinClass,
    pub(crate) max_connections: u8,
}

pub(crate) fn parse_search(data: &Map<String, Value>) -> Result<SearchRequest, DuffelError> {
    let fields = Fields::root(data);
    let slice_values = fields.array("slices")?;
    if slice_values.is_empty() || slice_values.len() > MAX_SLICES {
        return Err(DuffelError::invalid(
            "slices",
            format!("Field 'slices' must have 1 to {MAX_SLICES} entries"),
        ));
    }
    let slices = slice_values
        .iter()
        .enumerate()
        .map(|(index, value)| parse_slice(value, &format!("slices[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let passenger_values = fields.array("passengers")?;
    if passenger_values.is_empty() || passenger_values.len() > MAX_PASSENGERS {
        return Err(DuffelError::invalid(
            "passengers",
            format!("Field 'passengers' must have 1 to {MAX_PASSENGERS} entries"),
        ));
    }
    let passengers = passenger_values
        .iter()
        .enumerate()
        .map(|(index, value)| parse_passenger(value, &format!("passengers[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    let cabin = match fields.optional_string("cabin_class")? {
        None => CabinClass::Economy,
        Some(text) => serde_json::from_value(Value::String(text.to_owned())).map_err(|_| {
            DuffelError::invalid(
                "cabin_class",
                "Field 'cabin_class' must be one of first, business, premium_economy, economy",
            )
        })?,
    };
    let max_connections = match fields.optional_u64("max_connections")? {
        None => 1,
        Some(n @ 0..=2) => n as u8,
        Some(_) => {
            return Err(DuffelError::invalid(
                "max_connections",
                "Field 'max_connections' must be 0, 1 or 2",
            ));
        }
    };
    Ok(SearchRequest {
        slices,
        passengers,
        cabin,
        max_connections,
    })
}

fn parse_slice(value: &Value, path: &str) -> Result<RequestedSlice, DuffelError> {
    let fields = element(value, path)?;
    let place = |name: &str| -> Result<String, DuffelError> {
        let code = fields.string(name)?;
        if catalogue::airports_for_place(code).is_empty() {
            return Err(DuffelError::invalid(
                &fields.path_of(name),
                format!(
                    "Field '{}' must be a known IATA airport or city code",
                    fields.path_of(name)
                ),
            ));
        }
        Ok(code.to_owned())
    };
    let origin = place("origin")?;
    let destination = place("destination")?;
    let date_text = fields.string("departure_date")?;
    let departure_date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d").map_err(|_| {
        DuffelError::invalid(
            &fields.path_of("departure_date"),
            "Field 'departure_date' must be a date (YYYY-MM-DD)",
        )
    })?;
    Ok(RequestedSlice {
        origin,
        destination,
        departure_date,
    })
}

fn parse_passenger(value: &Value, path: &str) -> Result<(PassengerKind, Option<u8>), DuffelError> {
    let fields = element(value, path)?;
    if let Some(age) = fields.optional_u64("age")? {
        let age = u8::try_from(age)
            .ok()
            .filter(|age| *age <= 130)
            .ok_or_else(|| {
                DuffelError::invalid(
                    &fields.path_of("age"),
                    "Field 'age' must be between 0 and 130",
                )
            })?;
        return Ok((PassengerKind::from_age(age), Some(age)));
    }
    match fields.optional_string("type")? {
        Some("adult") => Ok((PassengerKind::Adult, None)),
        Some(_) => Err(DuffelError::invalid(
            &fields.path_of("type"),
            "Only 'adult' may be given as a type; give other passengers an 'age'",
        )),
        None => Err(DuffelError::required(&fields.path_of("age"))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn data(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn parses_a_round_trip_search() {
        let search = parse_search(&data(json!({
            "slices": [
                {"origin": "NYC", "destination": "LHR", "departure_date": "2031-01-02"},
                {"origin": "LHR", "destination": "NYC", "departure_date": "2031-01-09"}
            ],
            "passengers": [{"type": "adult"}, {"age": 7}, {"age": 1}],
            "cabin_class": "business",
            "max_connections": 0
        })))
        .unwrap();
        assert_eq!(search.slices.len(), 2);
        assert_eq!(search.cabin, CabinClass::Business);
        assert_eq!(search.max_connections, 0);
        let kinds: Vec<_> = search.passengers.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            vec![
                PassengerKind::Adult,
                PassengerKind::Child,
                PassengerKind::Infant
            ]
        );
    }

    #[test]
    fn names_the_bad_field() {
        let unknown = parse_search(&data(json!({
            "slices": [{"origin": "XXX", "destination": "LHR", "departure_date": "2031-01-02"}],
            "passengers": [{"type": "adult"}]
        })))
        .unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("slices[0].origin"));
        let missing = parse_search(&data(json!({
            "slices": [{"origin": "JFK", "destination": "LHR", "departure_date": "2031-01-02"}],
            "passengers": [{}]
        })))
        .unwrap_err();
        assert_eq!(missing.code, "validation_required");
        let bad_connections = parse_search(&data(json!({
            "slices": [{"origin": "JFK", "destination": "LHR", "departure_date": "2031-01-02"}],
            "passengers": [{"type": "adult"}],
            "max_connections": 3
        })))
        .unwrap_err();
        assert_eq!(bad_connections.field.as_deref(), Some("max_connections"));
    }
}
