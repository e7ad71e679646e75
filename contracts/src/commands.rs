//! Commands: what the orchestrator asks a worker to do. Every command that
//! reaches a provider carries the idempotency key of its step.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codes::{CustomerId, PaymentMethodId, PlaceCode, UserId};
use crate::idempotency::IdempotencyKey;
use crate::money::Money;
use crate::notification::NotificationContent;
use crate::personal::{EmailAddress, Passenger};
use crate::trip::CabinClass;

/// Ask the search worker for offers (Duffel offer request).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchOffers {
    pub idempotency_key: IdempotencyKey,
    pub origin: PlaceCode,
    pub destination: PlaceCode,
    pub departure_date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_date: Option<NaiveDate>,
    /// Age of each passenger at departure, in trip order (18+ searches as adult).
    pub passenger_ages: Vec<u8>,
    pub cabin_class: CabinClass,
    /// Most connections per direction the provider should return (0, 1 or 2).
    pub max_connections: u8,
}

/// Place a hold on the card: a manual-capture PaymentIntent, confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuthorizePayment {
    pub idempotency_key: IdempotencyKey,
    /// Whose trip: the worker checks the flags for this user before the
    /// money moves.
    pub user_id: UserId,
    pub amount: Money,
    pub payment_method: PaymentMethodId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
    /// Shown on the traveller's statement, e.g. "Flight JFK-LAX 2027-03-14".
    pub description: String,
}

/// A passenger of the order: the offer's passenger id and the traveller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OrderPassenger {
    /// Duffel passenger id from the offer (pas_...).
    pub passenger_id: String,
    /// Age at departure, as searched: under 2 is an infant, who travels on
    /// the lap of an adult (18 or over) of the same order. Absent in
    /// commands from before ages were sent: taken as not an infant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<u8>,
    pub details: Passenger,
}

/// Create the airline order for the selected offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CreateOrder {
    pub idempotency_key: IdempotencyKey,
    /// Whose trip: the worker checks the flags for this user before ordering.
    pub user_id: UserId,
    pub offer_id: String,
    /// The offer total the traveller's hold covers.
    pub amount: Money,
    pub passengers: Vec<OrderPassenger>,
    /// The offer wants every passenger's identity document with the order;
    /// documents are sent only then.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity_documents_required: bool,
}

/// Capture the held money once the order exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CapturePayment {
    pub idempotency_key: IdempotencyKey,
    /// Whose trip: the worker checks the flags for this user before the
    /// money moves.
    pub user_id: UserId,
    pub payment_intent_id: String,
    pub amount: Money,
}

/// Release a hold (cancel an uncaptured PaymentIntent). Compensation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VoidHold {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
}

/// Cancel an airline order (request and confirm a cancellation). Compensation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CancelOrder {
    pub idempotency_key: IdempotencyKey,
    pub order_id: String,
}

/// Give a traveller money back after a captured booking was cancelled
/// (a Stripe refund of the captured PaymentIntent). Never gated by the
/// flags: money going back to the traveller is always allowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RefundPayment {
    pub idempotency_key: IdempotencyKey,
    pub payment_intent_id: String,
    /// What the fare's conditions allow back, at most what was captured.
    pub amount: Money,
}

/// Email the traveller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SendNotification {
    pub idempotency_key: IdempotencyKey,
    pub to: EmailAddress,
    pub content: NotificationContent,
}
