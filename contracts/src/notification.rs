//! What the traveller is told, as data. The notification worker renders it
//! to HTML and text; the orchestrator only decides which notice is due.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codes::PlaceCode;
use crate::money::Money;
use crate::offer::OfferSlice;

/// Why a saga ended without a booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FailureReason {
    /// No offer met the trip's conditions.
    NoMatchingOffer { offers_seen: u32 },
    /// The flight search could not be made.
    SearchFailed,
    /// The card was declined.
    PaymentDeclined {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decline_code: Option<String>,
    },
    /// The card could not be charged for another reason.
    PaymentFailed,
    /// The airline refused the order.
    OrderRejected,
    /// Offers kept expiring or changing price until the retry budget ran out.
    OffersKeptChanging { searches: u32 },
    /// The money could not be captured; the order was cancelled.
    CaptureFailed,
}

impl FailureReason {
    /// A sentence for the traveller.
    pub fn describe(&self) -> &'static str {
        match self {
            FailureReason::NoMatchingOffer { .. } => {
                "No flight matched your conditions (price, stops, times and airlines)."
            }
            FailureReason::SearchFailed => "We could not search for flights on this route.",
            FailureReason::PaymentDeclined { .. } => {
                "Your card was declined, so nothing was booked or charged."
            }
            FailureReason::PaymentFailed => {
                "We could not place a hold on your card, so nothing was booked or charged."
            }
            FailureReason::OrderRejected => {
                "The airline did not accept the booking. The hold on your card has been released."
            }
            FailureReason::OffersKeptChanging { .. } => {
                "Fares on this route kept changing before we could book. The hold on your card has been released."
            }
            FailureReason::CaptureFailed => {
                "We could not complete the payment, so the booking was cancelled and the hold on your card released."
            }
        }
    }

    /// A short machine code for metrics and logs.
    pub fn code(&self) -> &'static str {
        match self {
            FailureReason::NoMatchingOffer { .. } => "no_matching_offer",
            FailureReason::SearchFailed => "search_failed",
            FailureReason::PaymentDeclined { .. } => "payment_declined",
            FailureReason::PaymentFailed => "payment_failed",
            FailureReason::OrderRejected => "order_rejected",
            FailureReason::OffersKeptChanging { .. } => "offers_kept_changing",
            FailureReason::CaptureFailed => "capture_failed",
        }
    }
}

/// The content of an email to the traveller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotificationContent {
    /// The trip is booked and paid.
    BookingConfirmed {
        booking_reference: String,
        airline_name: String,
        total: Money,
        passenger_count: u8,
        itinerary: Vec<OfferSlice>,
    },
    /// The trip could not be booked.
    BookingFailed {
        reason: FailureReason,
        origin: PlaceCode,
        destination: PlaceCode,
        departure_date: NaiveDate,
    },
}

impl NotificationContent {
    pub fn kind(&self) -> &'static str {
        match self {
            NotificationContent::BookingConfirmed { .. } => "booking_confirmed",
            NotificationContent::BookingFailed { .. } => "booking_failed",
        }
    }
}
