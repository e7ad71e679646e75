//! Whether an offer answers the trip it was searched for. A supplier can
//! answer with something else (an offer that flies LHR-LHR for an LHR-JFK
//! search, or on another day); such an offer is never booked, whatever it
//! costs.
//!
//! Slice by slice: the first goes from the trip's origin to its
//! destination and departs on the departure date; a round trip's second
//! comes back from the destination to the origin and departs on the return
//! date. A place is matched by airport, or by any airport of the city when
//! the trip names a city code (NYC: JFK, EWR or LGA). Dates are the local
//! dates at the departure airport, as the trip's are.

use chrono::NaiveDate;

use autobook_contracts::catalogue;
use autobook_contracts::codes::PlaceCode;
use autobook_contracts::offer::{OfferSlice, OfferSummary};
use autobook_contracts::trip::TripRequest;

/// How an offer fails to answer the trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// Another number of slices than the trip has directions.
    Slices,
    /// A slice leaves from, or goes to, another place than the trip's.
    Route,
    /// A slice departs on another local date than the trip's.
    Date,
}

impl Mismatch {
    /// Every kind, in the order their metric label values are listed.
    pub const ALL: [Mismatch; 3] = [Mismatch::Slices, Mismatch::Route, Mismatch::Date];

    /// A metric label value.
    pub fn as_str(&self) -> &'static str {
        match self {
            Mismatch::Slices => "slices",
            Mismatch::Route => "route",
            Mismatch::Date => "date",
        }
    }
}

/// One direction the trip asks for.
struct Leg<'a> {
    from: &'a PlaceCode,
    to: &'a PlaceCode,
    on: NaiveDate,
}

/// The directions of the trip: out, and back for a round trip.
fn legs(trip: &TripRequest) -> Vec<Leg<'_>> {
    let mut legs = vec![Leg {
        from: &trip.origin,
        to: &trip.destination,
        on: trip.departure_date,
    }];
    if let Some(back) = trip.return_date {
        legs.push(Leg {
            from: &trip.destination,
            to: &trip.origin,
            on: back,
        });
    }
    legs
}

/// `Ok` when `offer` flies the trip's route on its dates.
pub fn check(offer: &OfferSummary, trip: &TripRequest) -> Result<(), Mismatch> {
    let legs = legs(trip);
    if offer.slices.len() != legs.len() {
        return Err(Mismatch::Slices);
    }
    offer
        .slices
        .iter()
        .zip(&legs)
        .try_for_each(|(slice, leg)| check_slice(slice, leg))
}

fn check_slice(slice: &OfferSlice, leg: &Leg<'_>) -> Result<(), Mismatch> {
    let serves = |place: &PlaceCode, airport: &PlaceCode| {
        catalogue::place_includes(place.as_str(), airport.as_str())
    };
    if !serves(leg.from, &slice.origin) || !serves(leg.to, &slice.destination) {
        return Err(Mismatch::Route);
    }
    if slice.departing_at.date() != leg.on {
        return Err(Mismatch::Date);
    }
    Ok(())
}
