//! The trip request: what a traveller asks autobook to book, and its
//! validation.
//!
//! Field shapes are enforced while deserializing (codes, names, amounts);
//! rules that need the catalogue or the clock are checked by
//! [`TripRequest::validate`], which judges "in the future" in the departure
//! airport's own time zone with a `now` passed in by the caller.
//!
//! Dates are local calendar dates: the departure date in the origin's zone,
//! the return date in the destination's zone. [`local_day`] says where such
//! a day begins and ends in UTC; [`deadline`] computes when a trip must no
//! longer be booked.

pub mod deadline;
pub mod local_day;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalogue;
use crate::codes::{AirlineCode, CustomerId, PaymentMethodId, PlaceCode, UserId};
use crate::money::Money;
use crate::personal::{EmailAddress, Passenger};

/// Cabin class, as Duffel names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CabinClass {
    First,
    Business,
    PremiumEconomy,
    Economy,
}

impl CabinClass {
    pub fn as_str(&self) -> &'static str {
        match self {
            CabinClass::First => "first",
            CabinClass::Business => "business",
            CabinClass::PremiumEconomy => "premium_economy",
            CabinClass::Economy => "economy",
        }
    }
}

/// Acceptable local departure times at the origin, inclusive ("06:00" to "21:30").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    #[schemars(with = "String", pattern(r"^\d{2}:\d{2}(:\d{2})?$"))]
    pub earliest: NaiveTime,
    #[schemars(with = "String", pattern(r"^\d{2}:\d{2}(:\d{2})?$"))]
    pub latest: NaiveTime,
}

impl TimeWindow {
    pub fn contains(&self, time: NaiveTime) -> bool {
        self.earliest <= time && time <= self.latest
    }
}

/// How the trip is paid for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentDetails {
    /// A Stripe payment method saved for the traveller.
    pub payment_method: PaymentMethodId,
    /// The Stripe customer the payment method belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
}

/// A traveller's request: "book me this trip when it costs at most this".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TripRequest {
    pub user_id: UserId,
    /// IATA airport (JFK) or city code (NYC).
    pub origin: PlaceCode,
    pub destination: PlaceCode,
    /// Local date of departure at the origin, YYYY-MM-DD.
    pub departure_date: NaiveDate,
    /// Local date of the return flight; absent for a one-way trip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_date: Option<NaiveDate>,
    /// One to nine travellers; at least one adult (18 or over at
    /// departure), and an adult of their own for each infant (under 2 at
    /// departure, travelling on that adult's lap).
    pub passengers: Vec<Passenger>,
    pub cabin_class: CabinClass,
    /// The most the traveller will pay for the whole trip, all passengers.
    pub max_price: Money,
    /// Most connections per direction (0 = non-stop only). Absent: up to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 2))]
    pub max_stops: Option<u8>,
    /// Acceptable local departure times of the outbound flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departure_window: Option<TimeWindow>,
    /// Acceptable airlines (IATA designators); empty accepts any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub airlines: Vec<AirlineCode>,
    pub payment: PaymentDetails,
    /// Where confirmations and failure notices are sent.
    pub contact_email: EmailAddress,
    /// The last local date (at the origin) on which autobook may book; the
    /// trip is watched until the end of that day at the latest. Absent:
    /// until shortly before departure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub book_by: Option<NaiveDate>,
}

/// The most passengers one booking may carry.
pub const MAX_PASSENGERS: usize = 9;
/// How far ahead airlines sell seats.
pub const MAX_DAYS_AHEAD: i64 = 361;

/// A rule the trip request breaks. The message names the field at fault
/// ([`TripValidationError::field`]) and never quotes what it holds: not a
/// code, a date, an amount or any personal data. Passengers are counted
/// from 1, airlines from 0 (their index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TripValidationError {
    UnknownPlace {
        field: &'static str,
        code: String,
    },
    SameOriginAndDestination(String),
    DepartureInPast {
        date: NaiveDate,
        today: NaiveDate,
    },
    DepartureTooFarAhead {
        date: NaiveDate,
    },
    BookByOutOfRange {
        book_by: NaiveDate,
        today: NaiveDate,
        departure_date: NaiveDate,
    },
    ReturnBeforeDeparture {
        departure_date: NaiveDate,
        return_date: NaiveDate,
    },
    PassengerCount(usize),
    BornAfterDeparture(usize),
    ImplausibleAge(usize),
    NoAdult,
    TooManyInfants,
    DocumentExpired(usize),
    DocumentCountry(usize),
    NonPositiveMaxPrice(i64),
    MaxStops(u8),
    EmptyDepartureWindow,
    /// The index in `airlines` of a code that names no airline.
    UnknownAirline(usize),
    /// The index in `airlines` of a code listed before.
    DuplicateAirline(usize),
}

impl TripValidationError {
    /// A stable code for answers, dead letters and metrics.
    pub fn code(&self) -> &'static str {
        use TripValidationError as E;
        match self {
            E::UnknownPlace { .. } => "unknown_place",
            E::SameOriginAndDestination(_) => "same_origin_and_destination",
            E::DepartureInPast { .. } => "date_in_past",
            E::DepartureTooFarAhead { .. } => "date_too_far_ahead",
            E::BookByOutOfRange { .. } => "book_by_out_of_range",
            E::ReturnBeforeDeparture { .. } => "return_before_departure",
            E::PassengerCount(_) => "passenger_count",
            E::BornAfterDeparture(_) => "born_after_departure",
            E::ImplausibleAge(_) => "implausible_age",
            E::NoAdult => "no_adult",
            E::TooManyInfants => "too_many_infants",
            E::DocumentExpired(_) => "document_expired",
            E::DocumentCountry(_) => "unknown_issuing_country",
            E::NonPositiveMaxPrice(_) => "non_positive_price",
            E::MaxStops(_) => "max_stops",
            E::EmptyDepartureWindow => "empty_departure_window",
            E::UnknownAirline(_) => "unknown_airline",
            E::DuplicateAirline(_) => "duplicate_airline",
        }
    }

    /// The path of the field at fault in the trip request
    /// (`passengers[0].born_on`).
    pub fn field(&self) -> String {
        use TripValidationError as E;
        let passenger =
            |n: usize, field: &str| format!("passengers[{}].{field}", n.saturating_sub(1));
        match self {
            E::UnknownPlace { field, .. } => (*field).to_owned(),
            E::SameOriginAndDestination(_) => "destination".into(),
            E::DepartureInPast { .. } | E::DepartureTooFarAhead { .. } => "departure_date".into(),
            E::BookByOutOfRange { .. } => "book_by".into(),
            E::ReturnBeforeDeparture { .. } => "return_date".into(),
            E::PassengerCount(_) | E::NoAdult | E::TooManyInfants => "passengers".into(),
            E::BornAfterDeparture(n) | E::ImplausibleAge(n) => passenger(*n, "born_on"),
            E::DocumentExpired(n) => passenger(*n, "identity_document.expires_on"),
            E::DocumentCountry(n) => passenger(*n, "identity_document.issuing_country_code"),
            E::NonPositiveMaxPrice(_) => "max_price.amount_minor".into(),
            E::MaxStops(_) => "max_stops".into(),
            E::EmptyDepartureWindow => "departure_window".into(),
            E::UnknownAirline(i) | E::DuplicateAirline(i) => format!("airlines[{i}]"),
        }
    }

    /// The rule broken, in words.
    pub fn rule(&self) -> String {
        use TripValidationError as E;
        match self {
            E::UnknownPlace { .. } => "not an airport or city autobook serves".into(),
            E::SameOriginAndDestination(_) => "the same place as the origin".into(),
            E::DepartureInPast { .. } => "before today in the departure airport's time zone".into(),
            E::DepartureTooFarAhead { .. } => format!("more than {MAX_DAYS_AHEAD} days ahead"),
            E::BookByOutOfRange { .. } => "must be between today and the departure date".into(),
            E::ReturnBeforeDeparture { .. } => "before the departure date".into(),
            E::PassengerCount(n) => {
                format!("a trip needs 1 to {MAX_PASSENGERS} passengers, got {n}")
            }
            E::BornAfterDeparture(_) => "born on or after the departure date".into(),
            E::ImplausibleAge(_) => "older than 120 years at departure".into(),
            E::NoAdult => {
                "at least one passenger must be an adult (18 or over at departure)".into()
            }
            E::TooManyInfants => "each infant (under 2 at departure) travels on the lap of an \
                adult (18 or over) of its own: there are more infants than adults"
                .into(),
            E::DocumentExpired(_) => {
                "the document expires on or before the trip's last travel date".into()
            }
            E::DocumentCountry(_) => "not an assigned ISO 3166-1 country code".into(),
            E::NonPositiveMaxPrice(_) => "must be positive".into(),
            E::MaxStops(_) => "must be 0, 1 or 2".into(),
            E::EmptyDepartureWindow => "earliest must be before latest".into(),
            E::UnknownAirline(_) => "not an airline autobook knows".into(),
            E::DuplicateAirline(_) => "listed twice".into(),
        }
    }
}

impl std::fmt::Display for TripValidationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field(), self.rule())
    }
}

impl std::error::Error for TripValidationError {}

impl TripRequest {
    /// Checks every rule that depends on the catalogue or on today's date.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), TripValidationError> {
        let origin_zone = place_zone("origin", &self.origin)?;
        place_zone("destination", &self.destination)?;
        if same_place(&self.origin, &self.destination) {
            return Err(TripValidationError::SameOriginAndDestination(
                self.origin.to_string(),
            ));
        }
        self.validate_dates(now.with_timezone(&origin_zone).date_naive())?;
        self.validate_passengers()?;
        self.validate_preferences()
    }

    /// When the trip must no longer be booked: the start of the departure
    /// day at the origin less `margin`, or the end of `book_by` if earlier.
    /// None only for an origin outside the catalogue (refused by
    /// [`TripRequest::validate`]).
    pub fn booking_deadline(&self, margin: chrono::Duration) -> Option<deadline::BookingDeadline> {
        let zone = place_zone("origin", &self.origin).ok()?;
        Some(deadline::BookingDeadline::new(
            self.departure_date,
            zone,
            margin,
            self.book_by,
        ))
    }

    /// `today` is the current date in the origin's zone. The return date
    /// (local to the destination) is compared as a calendar date with the
    /// departure date: a return dated earlier is refused even across the
    /// date line, where a same-day turnaround could in principle land on the
    /// previous local date (Auckland to Honolulu); that rare case is refused
    /// rather than guessing flight times.
    fn validate_dates(&self, today: NaiveDate) -> Result<(), TripValidationError> {
        let date = self.departure_date;
        if date < today {
            return Err(TripValidationError::DepartureInPast { date, today });
        }
        if (date - today).num_days() > MAX_DAYS_AHEAD {
            return Err(TripValidationError::DepartureTooFarAhead { date });
        }
        if let Some(book_by) = self.book_by
            && (book_by < today || book_by > date)
        {
            return Err(TripValidationError::BookByOutOfRange {
                book_by,
                today,
                departure_date: date,
            });
        }
        match self.return_date {
            Some(return_date) if return_date < date => {
                Err(TripValidationError::ReturnBeforeDeparture {
                    departure_date: date,
                    return_date,
                })
            }
            _ => Ok(()),
        }
    }

    fn validate_passengers(&self) -> Result<(), TripValidationError> {
        let count = self.passengers.len();
        if count == 0 || count > MAX_PASSENGERS {
            return Err(TripValidationError::PassengerCount(count));
        }
        let (mut adults, mut infants) = (0, 0);
        for (index, passenger) in self.passengers.iter().enumerate() {
            if passenger.born_on >= self.departure_date {
                return Err(TripValidationError::BornAfterDeparture(index + 1));
            }
            if passenger.age_on(self.departure_date) > 120 {
                return Err(TripValidationError::ImplausibleAge(index + 1));
            }
            if passenger.is_adult_on(self.departure_date) {
                adults += 1;
            } else if passenger.is_infant_on(self.departure_date) {
                infants += 1;
            }
        }
        if adults == 0 {
            return Err(TripValidationError::NoAdult);
        }
        if infants > adults {
            return Err(TripValidationError::TooManyInfants);
        }
        self.validate_documents()
    }

    /// Each identity document names a real country and is still valid
    /// after the last travel date.
    fn validate_documents(&self) -> Result<(), TripValidationError> {
        let last = self.last_travel_date();
        for (index, passenger) in self.passengers.iter().enumerate() {
            let Some(document) = &passenger.identity_document else {
                continue;
            };
            if !document.issuing_country_code.is_assigned() {
                return Err(TripValidationError::DocumentCountry(index + 1));
            }
            if document.expires_on <= last {
                return Err(TripValidationError::DocumentExpired(index + 1));
            }
        }
        Ok(())
    }

    /// The return date of a round trip, else the departure date.
    pub fn last_travel_date(&self) -> NaiveDate {
        self.return_date.unwrap_or(self.departure_date)
    }

    /// Whether every passenger carries an identity document.
    pub fn carries_identity_documents(&self) -> bool {
        self.passengers
            .iter()
            .all(|p| p.identity_document.is_some())
    }

    /// Each passenger's age at departure, in trip order (0 to 255).
    pub fn passenger_ages(&self) -> Vec<u8> {
        self.passengers
            .iter()
            .map(|p| u8::try_from(p.age_on(self.departure_date).max(0)).unwrap_or(u8::MAX))
            .collect()
    }

    fn validate_preferences(&self) -> Result<(), TripValidationError> {
        if self.max_price.amount_minor <= 0 {
            return Err(TripValidationError::NonPositiveMaxPrice(
                self.max_price.amount_minor,
            ));
        }
        if let Some(stops) = self.max_stops.filter(|s| *s > 2) {
            return Err(TripValidationError::MaxStops(stops));
        }
        if self
            .departure_window
            .is_some_and(|w| w.earliest >= w.latest)
        {
            return Err(TripValidationError::EmptyDepartureWindow);
        }
        for (i, airline) in self.airlines.iter().enumerate() {
            if catalogue::airline(airline.as_str()).is_none() {
                return Err(TripValidationError::UnknownAirline(i));
            }
            if self.airlines[..i].contains(airline) {
                return Err(TripValidationError::DuplicateAirline(i));
            }
        }
        Ok(())
    }
}

fn place_zone(field: &'static str, code: &PlaceCode) -> Result<Tz, TripValidationError> {
    catalogue::time_zone_of_place(code.as_str())
        .and_then(|zone| zone.parse::<Tz>().ok())
        .ok_or_else(|| TripValidationError::UnknownPlace {
            field,
            code: code.to_string(),
        })
}

/// Two codes are the same place when they are equal or one is the city of the other.
fn same_place(a: &PlaceCode, b: &PlaceCode) -> bool {
    let city_of = |code: &PlaceCode| {
        catalogue::airport(code.as_str())
            .and_then(|airport| airport.city_code)
            .unwrap_or(code.as_str())
            .to_owned()
    };
    a == b || city_of(a) == city_of(b)
}

#[cfg(test)]
mod tests;
