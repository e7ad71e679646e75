//! The rules of order creation, applied under the Duffel lock.
//!
//! In order: the offer must exist (404), the passenger ids must be exactly
//! the offer's, each infant on one adult's lap ([`super::laps`]), identity
//! documents where the offer requires them ([`super::documents`]), the
//! payment currency the offer's; an expired offer answers
//! `offer_no_longer_available`; then the offer's fault fate is settled (once:
//! expired, repriced, refused or clean, from the script or the rates), the
//! payment must equal the current total (`price_changed`), and every segment
//! must have seats (`offer_no_longer_available`). Only then is the order
//! created and the seats taken.

use std::collections::BTreeSet;

use autobook_contracts::{Currency, Money};
use chrono::{DateTime, Utc};
use rand::Rng;

use super::errors::DuffelError;
use super::model::{BookedPassenger, Document, Offer, OfferFate, Order};
use super::order_request::OrderRequest;
use super::state::DuffelState;
use super::{DuffelSettings, documents, laps};
use crate::faults::{Faults, roll};
use crate::ids;
use crate::script::OrderFault;

/// A created order and whether its answer is to be held back.
#[derive(Debug)]
pub(crate) struct Booked {
    pub(crate) order: Order,
    pub(crate) delay_answer: bool,
}

pub(crate) fn book(
    state: &mut DuffelState,
    settings: &DuffelSettings,
    request: OrderRequest,
    scripted: Option<OrderFault>,
    faults: &Faults,
    now: DateTime<Utc>,
) -> Result<Booked, DuffelError> {
    let offer = state
        .offers
        .get(&request.offer_id)
        .ok_or_else(DuffelError::not_found)?;
    check_passengers(offer, &request)?;
    laps::check(offer, &request)?;
    documents::check(offer, &request)?;
    let currency = Currency::parse(&request.payment_currency)
        .ok()
        .filter(|currency| *currency == offer.currency)
        .ok_or_else(|| {
            DuffelError::invalid(
                "payments[0].currency",
                "The payment currency must be the offer's total_currency",
            )
        })?;
    let paid = Money::from_decimal(&request.payment_amount, currency).map_err(|_| {
        DuffelError::invalid(
            "payments[0].amount",
            "Field 'payments[0].amount' must be a decimal amount",
        )
    })?;
    if now >= offer.expires_at {
        return Err(DuffelError::offer_no_longer_available(
            "the offer has expired",
        ));
    }
    settle_fate(state, &request.offer_id, scripted, faults, now);
    let offer = state
        .offers
        .get(&request.offer_id)
        .ok_or_else(DuffelError::not_found)?;
    match offer.fate {
        OfferFate::Expired => {
            return Err(DuffelError::offer_no_longer_available(
                "the offer has expired",
            ));
        }
        OfferFate::Refused => return Err(DuffelError::airline_refused()),
        OfferFate::Undecided | OfferFate::Clean => {}
    }
    if paid.amount_minor != offer.fare.total {
        return Err(DuffelError::price_changed());
    }
    let seat_keys = offer.seat_keys();
    let seats_each = offer.seats_needed();
    if !state.seats_available(&seat_keys, seats_each, settings.seats_per_flight) {
        return Err(DuffelError::offer_no_longer_available(
            "the flights are sold out",
        ));
    }
    let offer = offer.clone();
    let order = create(state, &offer, request, now);
    state.take_seats(&seat_keys, seats_each);
    state.orders.push(order.clone());
    let delay_answer = match scripted {
        Some(OrderFault::TimeoutAfterEffect) => true,
        Some(_) => false,
        None => roll(&mut state.rng, faults.timeout_after_effect_rate),
    };
    Ok(Booked {
        order,
        delay_answer,
    })
}

fn check_passengers(offer: &Offer, request: &OrderRequest) -> Result<(), DuffelError> {
    let expected: BTreeSet<&str> = offer.passengers.iter().map(|p| p.id.as_str()).collect();
    let given: BTreeSet<&str> = request.passengers.iter().map(|p| p.id.as_str()).collect();
    if given.len() != request.passengers.len() || given != expected {
        return Err(DuffelError::invalid(
            "passengers",
            "Field 'passengers' must list each of the offer's passenger ids exactly once",
        ));
    }
    Ok(())
}

/// Decides once what injected faults do to this offer; a scripted entry
/// replaces the rate draw. A decided fate never changes.
fn settle_fate(
    state: &mut DuffelState,
    offer_id: &str,
    scripted: Option<OrderFault>,
    faults: &Faults,
    now: DateTime<Utc>,
) {
    let DuffelState { rng, offers, .. } = state;
    let Some(offer) = offers.get_mut(offer_id) else {
        return;
    };
    let undecided = offer.fate == OfferFate::Undecided;
    let mut reprice = false;
    match scripted {
        Some(OrderFault::OfferExpired) => offer.fate = OfferFate::Expired,
        Some(OrderFault::Rejected) => offer.fate = OfferFate::Refused,
        Some(OrderFault::PriceChanged) => reprice = true,
        Some(OrderFault::Ok | OrderFault::TimeoutAfterEffect | OrderFault::Transient) => {}
        None if undecided => {
            let expired = faults.offer_expired_rate.max(0.0);
            let repriced = expired + faults.price_change_rate.max(0.0);
            let refused = repriced + faults.order_failure_rate.max(0.0);
            if refused > 0.0 {
                let draw: f64 = rng.random();
                if draw < expired {
                    offer.fate = OfferFate::Expired;
                } else if draw < repriced {
                    reprice = true;
                } else if draw < refused {
                    offer.fate = OfferFate::Refused;
                }
            }
        }
        None => {}
    }
    if reprice {
        offer.fare = offer.fare.raised(rng.random_range(1.03..=1.15));
        offer.updated_at = now;
    }
    if offer.fate == OfferFate::Undecided {
        offer.fate = OfferFate::Clean;
    }
}

fn create(
    state: &mut DuffelState,
    offer: &Offer,
    request: OrderRequest,
    now: DateTime<Utc>,
) -> Order {
    let id = ids::duffel_id(&mut state.rng, "ord");
    let booking_reference = state.new_booking_reference();
    let passengers: Vec<BookedPassenger> = offer
        .passengers
        .iter()
        .filter_map(|known| {
            let given = request.passengers.iter().find(|p| p.id == known.id)?;
            Some(BookedPassenger {
                id: known.id.clone(),
                kind: known.kind,
                age: known.age,
                title: given.title.clone(),
                gender: given.gender.clone(),
                given_name: given.given_name.clone(),
                family_name: given.family_name.clone(),
                born_on: given.born_on,
                email: given.email.clone(),
                phone_number: given.phone_number.clone(),
                infant_passenger_id: given.infant_passenger_id.clone(),
                has_identity_document: !given.identity_documents.is_empty(),
            })
        })
        .collect();
    let documents = passengers
        .iter()
        .map(|p| Document {
            unique_identifier: ids::ticket_number(&mut state.rng),
            passenger_ids: vec![p.id.clone()],
        })
        .collect();
    Order {
        id,
        offer_id: offer.id.clone(),
        booking_reference,
        created_at: now,
        owner: offer.owner,
        cabin: offer.cabin,
        slices: offer.slices.clone(),
        fare: offer.fare,
        currency: offer.currency,
        refund: offer.refund,
        change: offer.change,
        passengers,
        documents,
        metadata: request.metadata,
        cancelled_at: None,
        seat_keys: offer.seat_keys(),
        seats_each: offer.seats_needed(),
    }
}
