//! Duffel's JSON shapes: request bodies we send and the parts of response
//! bodies we read. Responses are read leniently (unknown fields ignored,
//! most fields optional) and checked in [`super::mapping`]; personal fields
//! of orders (names, birth dates) are never deserialized.

use std::collections::BTreeMap;

use autobook_contracts::personal::{Gender, Title};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `{"data": ...}`, the wrapper of every request and response body.
#[derive(Debug, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub data: T,
}

// ---- requests ----

/// `POST /air/offer_requests` body.
#[derive(Debug, Serialize)]
pub struct OfferRequestBody {
    pub slices: Vec<SliceRequest>,
    pub passengers: Vec<PassengerRequest>,
    pub cabin_class: &'static str,
    pub max_connections: u8,
}

#[derive(Debug, Serialize)]
pub struct SliceRequest {
    pub origin: String,
    pub destination: String,
    pub departure_date: NaiveDate,
}

/// `{"type":"adult"}` or `{"age":N}`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PassengerRequest {
    Adult {
        #[serde(rename = "type")]
        kind: &'static str,
    },
    Aged {
        age: u8,
    },
}

/// `POST /air/orders` body.
#[derive(Serialize)]
pub struct OrderBody<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub selected_offers: [&'a str; 1],
    pub passengers: Vec<OrderPassengerBody<'a>>,
    pub payments: [PaymentBody; 1],
    pub metadata: &'a BTreeMap<String, String>,
}

/// A passenger of an order. Holds personal data: never log it.
#[derive(Serialize)]
pub struct OrderPassengerBody<'a> {
    pub id: &'a str,
    pub born_on: NaiveDate,
    pub gender: Gender,
    pub title: Title,
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: &'a str,
    pub phone_number: &'a str,
    /// The offer passenger id of the infant on this adult's lap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infant_passenger_id: Option<&'a str>,
    /// Sent only when the offer requires documents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identity_documents: Vec<IdentityDocumentBody<'a>>,
}

/// A passenger's identity document. Personal data: never log it.
#[derive(Serialize)]
pub struct IdentityDocumentBody<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub unique_identifier: &'a str,
    pub issuing_country_code: &'a str,
    pub expires_on: NaiveDate,
}

#[derive(Debug, Serialize)]
pub struct PaymentBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub amount: String,
    pub currency: String,
}

/// `POST /air/order_cancellations` body.
#[derive(Debug, Serialize)]
pub struct CancellationBody<'a> {
    pub order_id: &'a str,
}

// ---- responses ----

/// An offer request with its offers. Offers stay raw so that one offer
/// that does not parse is skipped instead of failing the search.
#[derive(Debug, Deserialize)]
pub struct OfferRequest {
    pub id: String,
    #[serde(default)]
    pub passengers: Vec<Identified>,
    #[serde(default)]
    pub offers: Vec<serde_json::Value>,
}

/// Any object of which only the id matters.
#[derive(Debug, Deserialize)]
pub struct Identified {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct Offer {
    pub id: String,
    pub total_amount: String,
    pub total_currency: String,
    pub expires_at: String,
    #[serde(default)]
    pub payment_requirements: Option<PaymentRequirements>,
    pub owner: Carrier,
    #[serde(default)]
    pub passengers: Vec<Identified>,
    pub slices: Vec<Slice>,
    /// Every passenger's identity document must come with the order.
    #[serde(default)]
    pub passenger_identity_documents_required: Option<bool>,
}

/// When an order on the offer must be paid (null for instant payment).
#[derive(Debug, Deserialize)]
pub struct PaymentRequirements {
    #[serde(default)]
    pub payment_required_by: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Carrier {
    pub iata_code: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Slice {
    pub origin: Place,
    pub destination: Place,
    pub duration: Option<String>,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Deserialize)]
pub struct Place {
    pub iata_code: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Segment {
    pub departing_at: String,
    pub arriving_at: String,
    pub duration: Option<String>,
    pub marketing_carrier: Carrier,
    pub marketing_carrier_flight_number: Option<String>,
    #[serde(default)]
    pub passengers: Vec<SegmentPassenger>,
}

#[derive(Debug, Deserialize)]
pub struct SegmentPassenger {
    pub cabin_class: Option<String>,
}

/// An order; its passengers and documents are not read.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: String,
    pub booking_reference: Option<String>,
    pub total_amount: String,
    pub total_currency: String,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, serde_json::Value>>,
    pub cancelled_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// A page of a list; entries stay raw until one is needed.
#[derive(Debug, Deserialize)]
pub struct Page {
    pub data: Vec<serde_json::Value>,
    #[serde(default)]
    pub meta: Option<PageMeta>,
}

#[derive(Debug, Deserialize)]
pub struct PageMeta {
    pub after: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderCancellation {
    pub id: String,
    pub refund_amount: Option<String>,
    pub refund_currency: Option<String>,
    pub confirmed_at: Option<String>,
}

/// `{"errors":[...],"meta":{"status","request_id"}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
    pub meta: Option<ErrorMeta>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorItem {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorMeta {
    pub status: Option<u16>,
    pub request_id: Option<String>,
}
