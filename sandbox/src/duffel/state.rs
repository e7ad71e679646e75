//! The Duffel sandbox's memory, behind one mutex: its RNG, searches,
//! offers, orders, cancellations and seat inventory.

use std::collections::{BTreeMap, BTreeSet};

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::model::{Cancellation, Offer, OfferRequest, Order};
use crate::ids::{self, stable_hash};
use crate::ledger::{Ledger, LedgerOrder, LedgerOrderCancellation};

/// Requests allowed per one-minute window, reported (not enforced) when no
/// per-second limit is configured.
pub(crate) const RATE_LIMIT: u32 = 120;

#[derive(Debug)]
pub(crate) struct DuffelState {
    pub(crate) rng: StdRng,
    pub(crate) offer_requests: BTreeMap<String, OfferRequest>,
    pub(crate) offers: BTreeMap<String, Offer>,
    /// In creation order.
    pub(crate) orders: Vec<Order>,
    pub(crate) cancellations: Vec<Cancellation>,
    /// Seats sold per inventory bucket (flight, date, cabin).
    pub(crate) seats_sold: BTreeMap<String, u32>,
    booking_references: BTreeSet<String>,
    /// (window start as unix minute, requests in it).
    rate_window: (i64, u32),
}

impl DuffelState {
    pub(crate) fn new(seed: u64) -> Self {
        DuffelState {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "duffel"])),
            offer_requests: BTreeMap::new(),
            offers: BTreeMap::new(),
            orders: Vec::new(),
            cancellations: Vec::new(),
            seats_sold: BTreeMap::new(),
            booking_references: BTreeSet::new(),
            rate_window: (0, 0),
        }
    }

    /// A booking reference no other order has.
    pub(crate) fn new_booking_reference(&mut self) -> String {
        loop {
            let reference = ids::booking_reference(&mut self.rng);
            if self.booking_references.insert(reference.clone()) {
                return reference;
            }
        }
    }

    pub(crate) fn order(&self, id: &str) -> Option<&Order> {
        self.orders.iter().find(|order| order.id == id)
    }

    pub(crate) fn order_mut(&mut self, id: &str) -> Option<&mut Order> {
        self.orders.iter_mut().find(|order| order.id == id)
    }

    /// True when every bucket still has `seats` free.
    pub(crate) fn seats_available(&self, keys: &[String], seats: u32, per_flight: u32) -> bool {
        keys.iter().all(|key| {
            let sold = self.seats_sold.get(key).copied().unwrap_or(0);
            sold.saturating_add(seats) <= per_flight
        })
    }

    pub(crate) fn take_seats(&mut self, keys: &[String], seats: u32) {
        for key in keys {
            *self.seats_sold.entry(key.clone()).or_insert(0) += seats;
        }
    }

    pub(crate) fn release_seats(&mut self, keys: &[String], seats: u32) {
        for key in keys {
            if let Some(sold) = self.seats_sold.get_mut(key) {
                *sold = sold.saturating_sub(seats);
            }
        }
    }

    /// Counts a request in the current one-minute window; returns the
    /// remaining allowance and the window's end (unix seconds).
    pub(crate) fn count_request(&mut self, unix_seconds: i64) -> (u32, i64) {
        let minute = unix_seconds.div_euclid(60);
        if self.rate_window.0 != minute {
            self.rate_window = (minute, 0);
        }
        self.rate_window.1 = self.rate_window.1.saturating_add(1);
        (
            RATE_LIMIT.saturating_sub(self.rate_window.1),
            (minute + 1) * 60,
        )
    }

    /// Adds this provider's effects to a ledger snapshot.
    pub(crate) fn write_ledger(&self, ledger: &mut Ledger) {
        ledger.offer_requests = self.offer_requests.len() as u64;
        ledger.seats_sold = self.seats_sold.values().map(|n| u64::from(*n)).sum();
        ledger.orders = self
            .orders
            .iter()
            .map(|order| LedgerOrder {
                id: order.id.clone(),
                offer_id: order.offer_id.clone(),
                booking_reference: order.booking_reference.clone(),
                total_amount: order.fare.total,
                total_currency: order.currency.to_string(),
                passenger_count: order.passengers.len() as u32,
                metadata: order.metadata.clone(),
                cancelled: order.cancelled_at.is_some(),
                created_at: order.created_at,
            })
            .collect();
        ledger.order_cancellations = self
            .cancellations
            .iter()
            .map(|cancellation| LedgerOrderCancellation {
                id: cancellation.id.clone(),
                order_id: cancellation.order_id.clone(),
                refund_amount: cancellation.refund_amount,
                refund_currency: cancellation.currency.to_string(),
                confirmed: cancellation.confirmed_at.is_some(),
            })
            .collect();
    }
}
