//! Valid trip requests for tests, editable as JSON.

use chrono::{Days, Utc};
use serde_json::{Value, json};

use autobook_contracts::trip::TripRequest;

/// A valid one-way JFK-LAX economy trip for one adult, 60 days ahead.
pub fn trip_json() -> Value {
    let departure = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(60))
        .unwrap();
    json!({
        "user_id": "usr_test",
        "origin": "JFK",
        "destination": "LAX",
        "departure_date": departure,
        "passengers": [{
            "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
            "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+14155550100"
        }],
        "cabin_class": "economy",
        "max_price": {"amount_minor": 500000, "currency": "USD"},
        "payment": {"payment_method": "pm_card_visa"},
        "contact_email": "amelia@example.com"
    })
}

pub fn trip() -> TripRequest {
    trip_with(|_| {})
}

pub fn trip_with(edit: impl FnOnce(&mut Value)) -> TripRequest {
    let mut value = trip_json();
    edit(&mut value);
    serde_json::from_value(value).unwrap()
}
