//! Offer selection: filter by the trip's conditions, then rank by a
//! weighted cost of price, duration and stops.
//!
//! Price and duration count as their excess over the best candidate
//! (0.10 = 10 % dearer or longer than the best), so a small price gap stays
//! small however few offers there are; stops count as the share of the
//! allowed two connections per direction.
//!
//! Airline preference is a filter (the trip's accepted carriers). Ties are
//! broken by price, then offer id, so selection is deterministic.
//!
//! Before any condition, an offer must answer the trip
//! ([`super::offer_match`]): one for another route or day is left out
//! whatever it costs. After the conditions, an offer whose airline wants
//! identity documents is left out unless every passenger carries one.

use chrono::{DateTime, Utc};

use autobook_contracts::offer::OfferSummary;
use autobook_contracts::trip::TripRequest;

use super::offer_match::{self, Mismatch};
use super::policy::{Policy, RankingWeights};

/// What selection makes of one offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A candidate.
    Acceptable,
    /// Not an answer to the trip (a supplier's mistake).
    WrongTrip(Mismatch),
    /// Outside the traveller's conditions (price, stops, cabin, times, ...).
    OutsideConditions,
    /// Within the conditions, but the airline wants identity documents
    /// that not every passenger carries.
    NeedsDocuments,
}

/// The verdict on `offer` for `trip` at `now`.
pub fn judge(
    offer: &OfferSummary,
    trip: &TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Verdict {
    if let Err(mismatch) = offer_match::check(offer, trip) {
        Verdict::WrongTrip(mismatch)
    } else if !within_conditions(offer, trip, now, policy) {
        Verdict::OutsideConditions
    } else if offer.identity_documents_required && !trip.carries_identity_documents() {
        Verdict::NeedsDocuments
    } else {
        Verdict::Acceptable
    }
}

/// Whether `offer` can be booked for `trip`.
pub fn acceptable(
    offer: &OfferSummary,
    trip: &TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
) -> bool {
    judge(offer, trip, now, policy) == Verdict::Acceptable
}

/// Whether an offer meets every condition of the trip.
fn within_conditions(
    offer: &OfferSummary,
    trip: &TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
) -> bool {
    let max_stops = trip.max_stops.unwrap_or(2);
    let valid_until =
        now + chrono::Duration::from_std(policy.min_offer_validity).unwrap_or_default();
    let window_ok = match (trip.departure_window, offer.outbound_departure_time()) {
        (Some(window), Some(time)) => window.contains(time),
        (Some(_), None) => false,
        (None, _) => true,
    };
    let airline_ok = trip.airlines.is_empty() || trip.airlines.contains(&offer.owner);
    offer.total.currency == trip.max_price.currency
        && offer.total.amount_minor > 0
        && offer.total.amount_minor <= trip.max_price.amount_minor
        && offer.max_stops() <= max_stops
        && offer.cabin_class == trip.cabin_class
        && offer.expires_at > valid_until
        && offer.passenger_ids.len() == trip.passengers.len()
        && window_ok
        && airline_ok
}

/// A search's offers sorted by verdict.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sifted<'a> {
    pub acceptable: Vec<&'a OfferSummary>,
    /// Offers that do not answer the trip.
    pub wrong_trip: u32,
    pub outside_conditions: u32,
    pub needing_documents: u32,
}

/// Judges every offer.
pub fn sift<'a>(
    offers: &'a [OfferSummary],
    trip: &TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Sifted<'a> {
    let mut sifted = Sifted::default();
    for offer in offers {
        match judge(offer, trip, now, policy) {
            Verdict::Acceptable => sifted.acceptable.push(offer),
            Verdict::WrongTrip(_) => sifted.wrong_trip += 1,
            Verdict::OutsideConditions => sifted.outside_conditions += 1,
            Verdict::NeedsDocuments => sifted.needing_documents += 1,
        }
    }
    sifted
}

/// The best acceptable offer, if any.
pub fn select<'a>(
    offers: &'a [OfferSummary],
    trip: &TripRequest,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Option<&'a OfferSummary> {
    best(&sift(offers, trip, now, policy).acceptable, &policy.weights)
}

/// The best of `candidates` (every one acceptable), if any.
pub fn best<'a>(
    candidates: &[&'a OfferSummary],
    weights: &RankingWeights,
) -> Option<&'a OfferSummary> {
    let scored = score(candidates, weights);
    scored
        .into_iter()
        .min_by(|(a_score, a), (b_score, b)| {
            a_score
                .total_cmp(b_score)
                .then(a.total.amount_minor.cmp(&b.total.amount_minor))
                .then(a.offer_id.cmp(&b.offer_id))
        })
        .map(|(_, offer)| offer)
}

/// Weighted cost of each candidate (lower is better).
pub fn score<'a>(
    candidates: &[&'a OfferSummary],
    weights: &RankingWeights,
) -> Vec<(f64, &'a OfferSummary)> {
    let best_price = candidates
        .iter()
        .map(|o| o.total.amount_minor as f64)
        .fold(f64::INFINITY, f64::min);
    let best_duration = candidates
        .iter()
        .map(|o| f64::from(o.total_duration_minutes()))
        .fold(f64::INFINITY, f64::min);
    candidates
        .iter()
        .map(|o| {
            let price = excess(o.total.amount_minor as f64, best_price);
            let duration = excess(f64::from(o.total_duration_minutes()), best_duration);
            let stops = f64::from(o.total_stops()) / (2.0 * o.slices.len().max(1) as f64);
            (
                weights.price * price + weights.duration * duration + weights.stops * stops,
                *o,
            )
        })
        .collect()
}

/// How much `value` exceeds `best`, as a fraction of `best`.
fn excess(value: f64, best: f64) -> f64 {
    if best > 0.0 {
        (value - best) / best
    } else {
        0.0
    }
}
