//! What the Duffel sandbox remembers: offer requests, offers, orders and
//! cancellations.

use std::collections::BTreeMap;
use std::fmt;

use autobook_contracts::Currency;
use autobook_contracts::catalogue::Airline;
use autobook_contracts::trip::CabinClass;
use chrono::{DateTime, NaiveDate, Utc};

use super::fare::Fare;
use super::schedule::Itinerary;

/// Duffel passenger types, derived from age when an age is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PassengerKind {
    Adult,
    Child,
    Infant,
}

impl PassengerKind {
    pub(crate) fn from_age(age: u8) -> PassengerKind {
        match age {
            0..=1 => PassengerKind::Infant,
            2..=11 => PassengerKind::Child,
            _ => PassengerKind::Adult,
        }
    }

    pub(crate) fn as_str(&self) -> &'static str {
        match self {
            PassengerKind::Adult => "adult",
            PassengerKind::Child => "child",
            PassengerKind::Infant => "infant_without_seat",
        }
    }

    /// Infants travel on a lap and take no seat.
    pub(crate) fn takes_seat(&self) -> bool {
        !matches!(self, PassengerKind::Infant)
    }
}

/// A refund or change condition: null, not allowed, or allowed with a
/// penalty in minor units of the offer currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Condition {
    Unknown,
    NotAllowed,
    Allowed { penalty: i64 },
}

/// A passenger of an offer request and its offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OfferPassenger {
    pub(crate) id: String,
    pub(crate) kind: PassengerKind,
    pub(crate) age: Option<u8>,
}

/// One requested journey of a search, codes as given (airport or city).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestedSlice {
    pub(crate) origin: String,
    pub(crate) destination: String,
    pub(crate) departure_date: NaiveDate,
}

#[derive(Debug, Clone)]
pub(crate) struct OfferRequest {
    pub(crate) id: String,
    pub(crate) client_key: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) slices: Vec<RequestedSlice>,
    pub(crate) passengers: Vec<OfferPassenger>,
    pub(crate) cabin: CabinClass,
    pub(crate) offer_ids: Vec<String>,
}

/// A slice of an offer or order: an itinerary with its ids.
#[derive(Debug, Clone)]
pub(crate) struct BookedSlice {
    pub(crate) id: String,
    pub(crate) segment_ids: Vec<String>,
    pub(crate) itinerary: Itinerary,
}

/// What an injected permanent fault decided for an offer, once and for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OfferFate {
    Undecided,
    Clean,
    Expired,
    Refused,
}

#[derive(Debug, Clone)]
pub(crate) struct Offer {
    pub(crate) id: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    /// When an order must be paid; `None`: at booking (instant payment).
    pub(crate) payment_required_by: Option<DateTime<Utc>>,
    pub(crate) owner: &'static Airline,
    pub(crate) cabin: CabinClass,
    pub(crate) passengers: Vec<OfferPassenger>,
    pub(crate) slices: Vec<BookedSlice>,
    pub(crate) fare: Fare,
    pub(crate) currency: Currency,
    pub(crate) refund: Condition,
    pub(crate) change: Condition,
    pub(crate) fate: OfferFate,
    /// Every passenger's identity document must come with the order.
    pub(crate) documents_required: bool,
    /// Answered for another route than searched (an injected supplier fault).
    pub(crate) misrouted: bool,
}

impl Offer {
    /// Inventory buckets of every segment in this offer's cabin.
    pub(crate) fn seat_keys(&self) -> Vec<String> {
        self.slices
            .iter()
            .flat_map(|slice| slice.itinerary.segments.iter())
            .map(|segment| segment.seat_key(self.cabin.as_str()))
            .collect()
    }

    /// Seats taken on each segment.
    pub(crate) fn seats_needed(&self) -> u32 {
        self.passengers
            .iter()
            .filter(|p| p.kind.takes_seat())
            .count() as u32
    }
}

/// A booked passenger's personal details; Debug never prints them.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BookedPassenger {
    pub(crate) id: String,
    pub(crate) kind: PassengerKind,
    pub(crate) age: Option<u8>,
    pub(crate) title: String,
    pub(crate) gender: String,
    pub(crate) given_name: String,
    pub(crate) family_name: String,
    pub(crate) born_on: NaiveDate,
    pub(crate) email: String,
    pub(crate) phone_number: String,
    /// The infant on this adult's lap.
    pub(crate) infant_passenger_id: Option<String>,
    /// Whether an identity document came with the order.
    pub(crate) has_identity_document: bool,
}

impl fmt::Debug for BookedPassenger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BookedPassenger")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("infant_passenger_id", &self.infant_passenger_id)
            .finish_non_exhaustive()
    }
}

/// An electronic ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document {
    pub(crate) unique_identifier: String,
    pub(crate) passenger_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) id: String,
    pub(crate) offer_id: String,
    pub(crate) booking_reference: String,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) owner: &'static Airline,
    pub(crate) cabin: CabinClass,
    pub(crate) slices: Vec<BookedSlice>,
    pub(crate) fare: Fare,
    pub(crate) currency: Currency,
    pub(crate) refund: Condition,
    pub(crate) change: Condition,
    pub(crate) passengers: Vec<BookedPassenger>,
    pub(crate) documents: Vec<Document>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) cancelled_at: Option<DateTime<Utc>>,
    pub(crate) seat_keys: Vec<String>,
    pub(crate) seats_each: u32,
}

impl Order {
    /// What a cancellation refunds under the refund condition.
    pub(crate) fn refund_amount(&self) -> i64 {
        match self.refund {
            Condition::Allowed { penalty } => (self.fare.total - penalty).max(0),
            Condition::NotAllowed | Condition::Unknown => 0,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Cancellation {
    pub(crate) id: String,
    pub(crate) order_id: String,
    pub(crate) refund_amount: i64,
    pub(crate) currency: Currency,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) confirmed_at: Option<DateTime<Utc>>,
}
