//! The ledger: every money, order and email effect the sandbox applied, and
//! the cheapest price each search offered, so a run can be reconciled.
//! Amounts are integer minor units.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A consistent snapshot of every effect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub payment_intents: Vec<LedgerPaymentIntent>,
    pub refunds: Vec<LedgerRefund>,
    pub orders: Vec<LedgerOrder>,
    /// The passengers of every order: who carries which infant, who gave
    /// an identity document. No personal details.
    #[serde(default)]
    pub order_passengers: Vec<LedgerOrderPassenger>,
    pub order_cancellations: Vec<LedgerOrderCancellation>,
    pub emails: Vec<LedgerEmail>,
    /// Offer requests (searches) answered.
    pub offer_requests: u64,
    /// Segment seats currently sold: one per non-infant passenger and
    /// segment of every order that is not cancelled.
    pub seats_sold: u64,
    /// Requests each API (`duffel`, `stripe`, `email`) served and refused
    /// for going over its rate limit.
    #[serde(default)]
    pub traffic: BTreeMap<String, LedgerTraffic>,
    /// The most recent [`SEARCHES_KEPT`] searches, oldest first
    /// (`offer_requests` counts them all).
    #[serde(default)]
    pub searches: Vec<LedgerSearch>,
    /// Every Stripe event, oldest first, and what became of its webhook
    /// delivery.
    #[serde(default)]
    pub webhooks: Vec<LedgerWebhook>,
    /// Injected faults by kind, every kind listed (zeros included):
    /// `transient`, `rate_limited`, `slow`, `server_error`,
    /// `server_error_after_effect`, `timeout_after_effect`,
    /// `offer_expired`, `price_changed`, `order_rejected`,
    /// `capture_lapsed`, `email_rejected`, `search_lagged`,
    /// `webhook_delayed`, `webhook_duplicated`, `webhook_reordered`.
    #[serde(default)]
    pub injected: BTreeMap<String, u64>,
    /// The same by call (`"stripe POST /v1/payment_intents/{id}/confirm"`,
    /// `"duffel POST /air/orders"`, `"email POST /emails"`, `"stripe
    /// webhook"`, ...), then by kind; only the kinds that happened.
    #[serde(default)]
    pub injected_by_call: BTreeMap<String, BTreeMap<String, u64>>,
}

/// One Stripe event and its webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerWebhook {
    /// `evt_...`.
    pub id: String,
    /// `payment_intent.canceled`, `refund.created`, ...
    pub event_type: String,
    /// The id of the changed object (`pi_...`, `re_...`).
    pub object_id: String,
    /// Attempts so far, over every copy.
    pub attempts: u32,
    /// Copies sent: 2 when the event was duplicated on purpose, 0 when it
    /// was not sent.
    #[serde(default)]
    pub copies: u32,
    /// Delivered once any copy was; pending while a copy may still be.
    pub status: WebhookStatus,
}

/// Where a webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookStatus {
    /// Queued, or waiting to be tried again.
    Pending,
    /// An attempt was answered with a 2xx.
    Delivered,
    /// Every attempt failed (or the sandbox stopped first).
    Failed,
    /// No endpoint was set when the event was dispatched.
    NotSent,
}

/// How many searches the ledger keeps (the most recent).
pub const SEARCHES_KEPT: usize = 10_000;

/// One answered search (Duffel offer request): its route and the cheapest
/// total it offered. No passenger details, only how many travel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerSearch {
    pub offer_request_id: String,
    /// Origin of the first slice, as requested (airport or city code).
    pub origin: String,
    /// Destination of the first slice, as requested.
    pub destination: String,
    /// Departure date of the first slice.
    pub departure_date: NaiveDate,
    /// Departure date of the last slice when there are several (the
    /// return of a round trip).
    pub return_date: Option<NaiveDate>,
    /// As Duffel spells it (`economy`, `business`, ...).
    pub cabin_class: String,
    pub passenger_count: u32,
    /// Offers answered.
    pub offer_count: u32,
    /// Total of the cheapest offer, for every passenger; `None` when there
    /// were no offers.
    pub cheapest_total_minor: Option<i64>,
    pub cheapest_offer_id: Option<String>,
    /// Offers answered for another route (the wrong-route fault).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub misrouted_offer_ids: Vec<String>,
    /// Uppercase ISO 4217, of every fare quoted.
    pub currency: String,
    /// The sandbox clock when the search was answered.
    pub at: DateTime<Utc>,
}

/// How fast one API was called, over every API key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerTraffic {
    /// Requests allowed per second and API key; `None`: not enforced.
    pub limit_per_second: Option<u32>,
    /// Requests admitted (past authentication and the rate limit).
    pub requests: u64,
    /// 429 answers served: the limit enforced, or an injected throttle.
    pub too_many_requests: u64,
    /// Most admitted requests of one API key within any one second.
    pub peak_per_second: u32,
    /// Milliseconds from the first admitted request to the last.
    pub span_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerPaymentIntent {
    pub id: String,
    pub amount: i64,
    /// Lowercase, as Stripe prints it.
    pub currency: String,
    pub status: String,
    pub capture_method: String,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub amount_refunded: i64,
    pub payment_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    pub metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancellation_reason: Option<String>,
    /// Unix seconds.
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerRefund {
    pub id: String,
    pub payment_intent: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerOrder {
    pub id: String,
    pub offer_id: String,
    pub booking_reference: String,
    pub total_amount: i64,
    /// Uppercase ISO 4217.
    pub total_currency: String,
    pub passenger_count: u32,
    pub metadata: BTreeMap<String, String>,
    pub cancelled: bool,
    pub created_at: DateTime<Utc>,
}

/// One passenger of an order, without personal details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerOrderPassenger {
    pub order_id: String,
    /// `pas_...`, the offer's passenger id.
    pub passenger_id: String,
    /// `adult`, `child` or `infant_without_seat`.
    pub passenger_type: String,
    /// The infant on this adult's lap, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infant_passenger_id: Option<String>,
    /// Whether an identity document came with the order.
    pub identity_document: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerOrderCancellation {
    pub id: String,
    pub order_id: String,
    pub refund_amount: i64,
    pub refund_currency: String,
    pub confirmed: bool,
}

/// A sent email. Recipients and subject are kept for reconciliation and
/// never logged.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEmail {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub tags: Vec<LedgerEmailTag>,
    pub created_at: DateTime<Utc>,
    pub status: String,
}

impl std::fmt::Debug for LedgerEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerEmail")
            .field("id", &self.id)
            .field("to", &format_args!("<{} redacted>", self.to.len()))
            .field("subject", &"<redacted>")
            .field("tags", &self.tags)
            .field("created_at", &self.created_at)
            .field("status", &self.status)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEmailTag {
    pub name: String,
    pub value: String,
}

impl Ledger {
    /// Sum of amounts captured minus refunds, per lowercase currency.
    pub fn net_received(&self) -> BTreeMap<String, i64> {
        let mut totals = BTreeMap::new();
        for intent in &self.payment_intents {
            *totals.entry(intent.currency.clone()).or_insert(0) +=
                intent.amount_received - intent.amount_refunded;
        }
        totals
    }

    /// Orders that are not cancelled.
    pub fn live_orders(&self) -> impl Iterator<Item = &LedgerOrder> {
        self.orders.iter().filter(|order| !order.cancelled)
    }
}
