//! The Duffel sandbox's memory, behind one mutex: its RNG, searches (and
//! the ledger's log of them), offers, orders, cancellations and seat
//! inventory.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use autobook_contracts::Currency;
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::model::{Cancellation, Offer, OfferRequest, Order};
use crate::ids::{Instance, stable_hash};
use crate::ledger::{
    Ledger, LedgerOrder, LedgerOrderCancellation, LedgerOrderPassenger, LedgerSearch, SEARCHES_KEPT,
};

/// Requests allowed per one-minute window, reported (not enforced) when no
/// per-second limit is configured.
pub(crate) const RATE_LIMIT: u32 = 120;

#[derive(Debug)]
pub(crate) struct DuffelState {
    pub(crate) rng: StdRng,
    instance: Instance,
    pub(crate) offer_requests: BTreeMap<String, OfferRequest>,
    pub(crate) offers: BTreeMap<String, Offer>,
    /// In creation order.
    pub(crate) orders: Vec<Order>,
    pub(crate) cancellations: Vec<Cancellation>,
    /// Seats sold per inventory bucket (flight, date, cabin).
    pub(crate) seats_sold: BTreeMap<String, u32>,
    /// The most recent searches for the ledger, oldest first.
    searches: VecDeque<LedgerSearch>,
    booking_references: BTreeSet<String>,
    /// (window start as unix minute, requests in it).
    rate_window: (i64, u32),
}

impl DuffelState {
    pub(crate) fn new(seed: u64, instance: Instance) -> Self {
        DuffelState {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "duffel"])),
            instance,
            offer_requests: BTreeMap::new(),
            offers: BTreeMap::new(),
            orders: Vec::new(),
            cancellations: Vec::new(),
            seats_sold: BTreeMap::new(),
            searches: VecDeque::new(),
            booking_references: BTreeSet::new(),
            rate_window: (0, 0),
        }
    }

    /// Logs a stored search for the ledger, forgetting the oldest beyond
    /// [`SEARCHES_KEPT`].
    pub(crate) fn log_search(&mut self, request: &OfferRequest, currency: Currency) {
        let cheapest = request.offer_ids.first().and_then(|id| self.offers.get(id));
        let mut entry = search_entry(request, cheapest, currency);
        entry.misrouted_offer_ids = request
            .offer_ids
            .iter()
            .filter(|id| self.offers.get(*id).is_some_and(|offer| offer.misrouted))
            .cloned()
            .collect();
        if self.searches.len() >= SEARCHES_KEPT {
            self.searches.pop_front();
        }
        self.searches.push_back(entry);
    }

    /// A new id (`orq`, `off`, `ord`, `ore`, ...) of this start.
    pub(crate) fn new_id(&mut self, prefix: &str) -> String {
        self.instance.duffel_id(&mut self.rng, prefix)
    }

    /// A new electronic ticket number.
    pub(crate) fn new_ticket_number(&mut self) -> String {
        self.instance.ticket_number(&mut self.rng)
    }

    /// A booking reference no other order has.
    pub(crate) fn new_booking_reference(&mut self) -> String {
        loop {
            let reference = self.instance.booking_reference(&mut self.rng);
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
        ledger.searches = self.searches.iter().cloned().collect();
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
        ledger.order_passengers = self
            .orders
            .iter()
            .flat_map(|order| {
                order.passengers.iter().map(|p| LedgerOrderPassenger {
                    order_id: order.id.clone(),
                    passenger_id: p.id.clone(),
                    passenger_type: p.kind.as_str().to_owned(),
                    infant_passenger_id: p.infant_passenger_id.clone(),
                    identity_document: p.has_identity_document,
                })
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

/// What the ledger keeps of a search whose offers are sorted cheapest first.
fn search_entry(
    request: &OfferRequest,
    cheapest: Option<&Offer>,
    currency: Currency,
) -> LedgerSearch {
    let first = request.slices.first();
    let return_date = match request.slices.as_slice() {
        [_, .., last] => Some(last.departure_date),
        _ => None,
    };
    LedgerSearch {
        offer_request_id: request.id.clone(),
        origin: first.map(|s| s.origin.clone()).unwrap_or_default(),
        destination: first.map(|s| s.destination.clone()).unwrap_or_default(),
        departure_date: first.map_or(request.created_at.date_naive(), |s| s.departure_date),
        return_date,
        cabin_class: request.cabin.as_str().to_owned(),
        passenger_count: request.passengers.len() as u32,
        offer_count: request.offer_ids.len() as u32,
        cheapest_total_minor: cheapest.map(|offer| offer.fare.total),
        cheapest_offer_id: cheapest.map(|offer| offer.id.clone()),
        misrouted_offer_ids: Vec::new(),
        currency: currency.to_string(),
        at: request.created_at,
    }
}

#[cfg(test)]
mod tests {
    use autobook_contracts::trip::CabinClass;
    use chrono::{NaiveDate, Utc};

    use super::*;
    use crate::duffel::model::RequestedSlice;

    fn request(id: usize, dates: &[u32]) -> OfferRequest {
        OfferRequest {
            id: format!("orq_{id}"),
            client_key: "key".into(),
            created_at: Utc::now(),
            slices: dates
                .iter()
                .map(|day| RequestedSlice {
                    origin: "JFK".into(),
                    destination: "LHR".into(),
                    departure_date: NaiveDate::from_ymd_opt(2031, 5, *day).unwrap(),
                })
                .collect(),
            passengers: Vec::new(),
            cabin: CabinClass::Economy,
            offer_ids: Vec::new(),
        }
    }

    #[test]
    fn the_search_log_keeps_the_most_recent_searches() {
        let mut state = DuffelState::new(1, Instance::new(1));
        for id in 0..=SEARCHES_KEPT {
            state.log_search(&request(id, &[3]), Currency::USD);
        }
        let mut ledger = Ledger::default();
        state.write_ledger(&mut ledger);
        assert_eq!(ledger.searches.len(), SEARCHES_KEPT);
        assert_eq!(ledger.searches[0].offer_request_id, "orq_1");
        let last = ledger.searches.last().unwrap();
        assert_eq!(last.offer_request_id, format!("orq_{SEARCHES_KEPT}"));
        assert_eq!((last.cheapest_total_minor, last.return_date), (None, None));
    }

    #[test]
    fn a_search_of_several_slices_returns_on_the_last_date() {
        let entry = search_entry(&request(0, &[3, 9, 12]), None, Currency::EUR);
        assert_eq!(
            entry.departure_date,
            NaiveDate::from_ymd_opt(2031, 5, 3).unwrap()
        );
        assert_eq!(entry.return_date, NaiveDate::from_ymd_opt(2031, 5, 12));
        assert_eq!(entry.currency, "EUR");
    }
}
