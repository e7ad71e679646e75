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
    /// The only offers within the trip's conditions need every passenger's
    /// identity document, which the trip request does not carry.
    IdentityDocumentsRequired { offers_seen: u32 },
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
    /// The trip's booking deadline passed while it was watched (or paused)
    /// without an offer within its conditions; nothing is held.
    DeadlinePassed {
        searches: u32,
        /// The cheapest offer any search returned, whatever its conditions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cheapest_seen: Option<Money>,
        /// Some search found offers within the conditions that were left
        /// out because they need identity documents the trip does not carry.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        identity_documents_needed: bool,
    },
    /// The booking could not be finished before the card hold would lapse;
    /// the hold was released.
    HoldLapsing,
}

impl FailureReason {
    /// A sentence for the traveller.
    pub fn describe(&self) -> &'static str {
        match self {
            FailureReason::NoMatchingOffer { .. } => {
                "No flight matched your conditions (price, stops, times and airlines)."
            }
            FailureReason::IdentityDocumentsRequired { .. } => {
                "The flights that matched your conditions need passport details for every passenger, which your request did not include. Nothing was booked or charged; ask again with an identity document for each passenger."
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
            FailureReason::DeadlinePassed {
                identity_documents_needed: true,
                ..
            } => {
                "We watched this trip until its booking deadline. The fares within your conditions needed passport details for every passenger, which your request did not include, so nothing was booked or charged."
            }
            FailureReason::DeadlinePassed {
                identity_documents_needed: false,
                ..
            } => {
                "We watched this trip until its booking deadline, but no fare came within your conditions. Nothing was booked or charged."
            }
            FailureReason::HoldLapsing => {
                "We could not finish the booking before the hold on your card would have lapsed, so the hold was released and nothing was charged."
            }
        }
    }

    /// A short machine code for metrics and logs.
    pub fn code(&self) -> &'static str {
        match self {
            FailureReason::NoMatchingOffer { .. } => "no_matching_offer",
            FailureReason::IdentityDocumentsRequired { .. } => "identity_documents_required",
            FailureReason::SearchFailed => "search_failed",
            FailureReason::PaymentDeclined { .. } => "payment_declined",
            FailureReason::PaymentFailed => "payment_failed",
            FailureReason::OrderRejected => "order_rejected",
            FailureReason::OffersKeptChanging { .. } => "offers_kept_changing",
            FailureReason::CaptureFailed => "capture_failed",
            FailureReason::DeadlinePassed { .. } => "deadline_passed",
            FailureReason::HoldLapsing => "hold_lapsing",
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
    /// The trip was cancelled at the traveller's request.
    TripCancelled {
        origin: PlaceCode,
        destination: PlaceCode,
        departure_date: NaiveDate,
        /// The airline booking that was cancelled, if the trip was booked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        booking_reference: Option<String>,
        /// What was charged for the booking, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        charged: Option<Money>,
        /// What goes back to the card (the fare's conditions), if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refunded: Option<Money>,
    },
}

impl NotificationContent {
    pub fn kind(&self) -> &'static str {
        match self {
            NotificationContent::BookingConfirmed { .. } => "booking_confirmed",
            NotificationContent::BookingFailed { .. } => "booking_failed",
            NotificationContent::TripCancelled { .. } => "trip_cancelled",
        }
    }
}
