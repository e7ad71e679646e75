//! Sample trip requests for the tests of every crate (built with the
//! `fixtures` feature, or for this crate's own tests).
//!
//! [`trip_json`] is one valid trip: one adult, Amelia Earhart, flying
//! economy from JFK to LAX 60 days from today. Tests edit its JSON with
//! [`trip_json_with`] or [`trip_with`]; a test that relies on a value (a
//! date, a name, a price) sets it there, so that it reads in the test.

#![allow(clippy::unwrap_used)]

use chrono::{Days, NaiveDate, Utc};
use serde_json::{Value, json};

use crate::trip::TripRequest;

/// The date `days` from today (a departure the validation accepts for
/// anything under a year).
pub fn days_ahead(days: u64) -> NaiveDate {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .unwrap()
}

/// The sample passenger: an adult, Amelia Earhart, born 1987-07-24.
pub fn amelia() -> Value {
    json!({
        "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
        "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+14155550100"
    })
}

/// A second passenger: a child, Charles Lindbergh, born 2015-02-04.
pub fn charles() -> Value {
    json!({
        "title": "mr", "gender": "m", "given_name": "Charles", "family_name": "Lindbergh",
        "born_on": "2015-02-04", "email": "charles@example.com", "phone_number": "+14155550101"
    })
}

/// The sample trip: a valid one-way JFK-LAX economy trip for [`amelia`],
/// 60 days ahead, for `usr_test`, at most 5,000.00 USD, paid with
/// `pm_card_visa`.
pub fn trip_json() -> Value {
    json!({
        "user_id": "usr_test",
        "origin": "JFK",
        "destination": "LAX",
        "departure_date": days_ahead(60),
        "passengers": [amelia()],
        "cabin_class": "economy",
        "max_price": {"amount_minor": 500000, "currency": "USD"},
        "payment": {"payment_method": "pm_card_visa"},
        "contact_email": "amelia@example.com"
    })
}

/// [`trip_json`] as `edit` leaves it.
pub fn trip_json_with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut value = trip_json();
    edit(&mut value);
    value
}

/// The sample trip, typed.
pub fn trip() -> TripRequest {
    trip_with(|_| {})
}

/// [`trip_json`] as `edit` leaves it, typed; panics if it no longer
/// decodes.
pub fn trip_with(edit: impl FnOnce(&mut Value)) -> TripRequest {
    serde_json::from_value(trip_json_with(edit)).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_trip_decodes_and_is_valid() {
        trip().validate(Utc::now()).unwrap();
        let two = trip_with(|t| t["passengers"] = json!([amelia(), charles()]));
        two.validate(Utc::now()).unwrap();
    }
}
