//! Flight offers as the saga sees them: the parts of a Duffel offer that
//! ranking, ordering and the itinerary email need.

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codes::{AirlineCode, PlaceCode};
use crate::money::Money;
use crate::trip::CabinClass;

/// One direction of an offer (outbound or return).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OfferSlice {
    pub origin: PlaceCode,
    pub destination: PlaceCode,
    /// Local time at the origin airport (no offset, as airlines print it).
    #[schemars(with = "String")]
    pub departing_at: NaiveDateTime,
    /// Local time at the destination airport.
    #[schemars(with = "String")]
    pub arriving_at: NaiveDateTime,
    pub duration_minutes: u32,
    /// Connections in this direction (segments minus one).
    pub stops: u8,
    /// Marketing flight designators in order, e.g. ["BA117", "AA2403"].
    pub flights: Vec<String>,
}

/// An offer returned by a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OfferSummary {
    /// Duffel offer id (off_...).
    pub offer_id: String,
    /// Total for every passenger, taxes included.
    pub total: Money,
    pub expires_at: DateTime<Utc>,
    /// When an order on this offer must be paid for (Duffel's
    /// `payment_requirements.payment_required_by`), if the airline says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_required_by: Option<DateTime<Utc>>,
    /// The airline selling the offer.
    pub owner: AirlineCode,
    pub owner_name: String,
    pub cabin_class: CabinClass,
    /// Duffel passenger ids (pas_...), in the order of the trip's passengers.
    pub passenger_ids: Vec<String>,
    pub slices: Vec<OfferSlice>,
    /// The airline wants every passenger's identity document with the order
    /// (Duffel's `passenger_identity_documents_required`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity_documents_required: bool,
}

impl OfferSummary {
    /// Flying plus connecting time over every direction.
    pub fn total_duration_minutes(&self) -> u32 {
        self.slices.iter().map(|s| s.duration_minutes).sum()
    }

    /// The most connections in any direction.
    pub fn max_stops(&self) -> u8 {
        self.slices.iter().map(|s| s.stops).max().unwrap_or(0)
    }

    /// Connections over every direction.
    pub fn total_stops(&self) -> u32 {
        self.slices.iter().map(|s| u32::from(s.stops)).sum()
    }

    /// The last instant an order on this offer can be placed and paid:
    /// the earlier of its expiry and its payment deadline.
    pub fn order_by(&self) -> DateTime<Utc> {
        self.payment_required_by
            .map_or(self.expires_at, |by| by.min(self.expires_at))
    }

    /// Local departure time of the outbound flight.
    pub fn outbound_departure_time(&self) -> Option<NaiveTime> {
        self.slices.first().map(|s| s.departing_at.time())
    }
}
