//! What the gateway answers, as JSON: each type is also its schema in the
//! OpenAPI document. None of them carries personal data: a trip is shown by
//! its places, dates, cabin and price, never by its passengers.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use autobook_contracts::money::Money;

/// A trip request was accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Submitted {
    /// The trip's id (a UUIDv7); `GET /v1/trip-requests/{id}` follows it.
    pub trip_id: Uuid,
    /// Always `submitted`.
    pub status: String,
}

/// A Stripe webhook delivery was taken in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookReceived {
    /// Always true.
    pub received: bool,
    /// The event was received before: nothing was done again.
    pub duplicate: bool,
    /// A new event about one of our sagas went on to it; absent for a duplicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<bool>,
}

/// A cancellation was sent to the trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CancelAccepted {
    pub trip_id: Uuid,
    /// Always `cancel_requested`: the trip stops, or its booking is cancelled and refunded.
    pub status: String,
}

/// One trip request and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TripView {
    pub trip_id: Uuid,
    /// `submitted` until the orchestrator has taken the request, then the
    /// saga's status (searching, watching, authorizing, ..., booked, failed, cancelled).
    pub status: String,
    /// Whether the trip has ended (booked, failed, cancelled or aborted).
    pub finished: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// What was asked for; absent while only submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip: Option<TripSummary>,
    /// The booking (`GET /v1/bookings/{id}`), once booked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_id: Option<Uuid>,
    /// Why the trip failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// What a cancellation charged and refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation: Option<Cancellation>,
    /// Every step the trip went through, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// The non-personal part of a trip request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TripSummary {
    pub origin: String,
    pub destination: String,
    pub departure_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_date: Option<NaiveDate>,
    pub cabin_class: String,
    /// How many passengers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passengers: Option<u32>,
    pub max_price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_stops: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Failure {
    /// A stable code (no_matching_offer, payment_declined, ...).
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Cancellation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charged: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<Money>,
}

/// One transition of the trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_status: Option<String>,
    pub to_status: String,
    /// What caused it (`trip.requested`, `payment.authorized`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    pub at: DateTime<Utc>,
}

/// A booking: the flights, the airline's reference and what was paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BookingView {
    pub booking_id: Uuid,
    pub trip_id: Uuid,
    /// `confirmed` or `cancelled`.
    pub status: String,
    /// The airline's booking reference (PNR).
    pub booking_reference: String,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded: Option<Amount>,
    /// The flights: places, times, carriers and flight numbers.
    pub itinerary: serde_json::Value,
    pub booked_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// An amount in minor units (cents) and its ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Amount {
    pub amount_minor: i64,
    pub currency: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// `GET /readyz` when ready.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: String,
    /// `ok` when PostgreSQL answers.
    pub database: String,
    /// `ok` when RabbitMQ is connected.
    pub broker: String,
}
