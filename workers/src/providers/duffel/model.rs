//! What the Duffel client takes and returns, in our own types.

use std::collections::BTreeMap;

use autobook_contracts::Money;
use autobook_contracts::commands::OrderPassenger;
use autobook_contracts::offer::OfferSummary;

/// The offers of one offer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchResult {
    /// Duffel offer request id (orq_...).
    pub offer_request_id: String,
    pub offers: Vec<OfferSummary>,
    /// Offers in the answer that could not be mapped (missing or malformed
    /// fields) and were left out.
    pub skipped: usize,
}

/// An instant order for one offer, paid from the Duffel balance.
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub offer_id: &'a str,
    /// The offer total; Duffel refuses a payment that differs from it.
    pub amount: Money,
    pub passengers: &'a [OrderPassenger],
    /// The offer wants every passenger's identity document; they are sent
    /// only then.
    pub identity_documents_required: bool,
    /// Stored with the order; carries our idempotency key so that the order
    /// can be found again after an unknown outcome. At most 50 entries, keys
    /// up to 40 and values up to 500 characters.
    pub metadata: BTreeMap<String, String>,
}

/// An order as we need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuffelOrder {
    /// Duffel order id (ord_...).
    pub id: String,
    /// The airline's booking reference (PNR).
    pub booking_reference: String,
    pub total: Money,
    pub metadata: BTreeMap<String, String>,
    /// `cancelled_at` is set.
    pub cancelled: bool,
    /// When Duffel created it, when the answer says.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The result of cancelling an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// Duffel order cancellation id (ore_...), when this call made one.
    pub id: Option<String>,
    /// What the airline refunds to the Duffel balance, if anything.
    pub refund: Option<Money>,
    /// The order was already cancelled before this call.
    pub already_cancelled: bool,
}
