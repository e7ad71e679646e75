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
//! created and the seats taken; its answer may then be lost (held back, or
//! a 500 in its place). Every injected fault is counted.

use std::collections::BTreeSet;

use autobook_contracts::{Currency, Money};
use chrono::{DateTime, Utc};
use rand::Rng;

use super::errors::DuffelError;
use super::model::{BookedPassenger, Document, Offer, OfferFate, Order};
use super::order_request::OrderRequest;
use super::state::DuffelState;
use super::{DuffelSettings, calls, documents, laps};
use crate::faults::{AnswerLoss, Faults};
use crate::injected::{FaultKind, Injections};
use crate::script::{OrderFault, answer_loss};

/// A created order and how its answer is lost, if it is.
#[derive(Debug)]
pub(crate) struct Booked {
    pub(crate) order: Order,
    pub(crate) loss: Option<AnswerLoss>,
}

/// The injected faults of one order creation: scripted or drawn, and
/// where they are counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Injection<'a> {
    pub(crate) scripted: Option<OrderFault>,
    pub(crate) faults: &'a Faults,
    pub(crate) counts: &'a Injections,
}

pub(crate) fn book(
    state: &mut DuffelState,
    settings: &DuffelSettings,
    request: OrderRequest,
    injection: Injection<'_>,
    now: DateTime<Utc>,
) -> Result<Booked, DuffelError> {
    let Injection {
        scripted,
        faults,
        counts,
    } = injection;
    let offer = state
        .offers
        .get(&request.offer_id)
        .ok_or_else(DuffelError::not_found)?;
    check_passengers(offer, &request)?;
    laps::check(offer, &request)?;
    documents::check(
        offer,
        request
            .passengers
            .iter()
            .map(|passenger| passenger.identity_documents.as_slice()),
    )?;
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
    if let Some(kind) = settle_fate(state, &request.offer_id, scripted, faults, now) {
        counts.count(kind, calls::CREATE_ORDER);
    }
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
    let loss = answer_loss(scripted, faults, &mut state.rng);
    if let Some(loss) = loss {
        counts.count(FaultKind::of_loss(loss), calls::CREATE_ORDER);
    }
    Ok(Booked { order, loss })
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
/// replaces the rate draw. A decided fate never changes. Returns the fault
/// injected now, if any.
fn settle_fate(
    state: &mut DuffelState,
    offer_id: &str,
    scripted: Option<OrderFault>,
    faults: &Faults,
    now: DateTime<Utc>,
) -> Option<FaultKind> {
    let DuffelState { rng, offers, .. } = state;
    let offer = offers.get_mut(offer_id)?;
    let undecided = offer.fate == OfferFate::Undecided;
    let before = offer.fate;
    let mut reprice = false;
    match scripted {
        Some(OrderFault::OfferExpired) => offer.fate = OfferFate::Expired,
        Some(OrderFault::Rejected) => offer.fate = OfferFate::Refused,
        Some(OrderFault::PriceChanged) => reprice = true,
        Some(
            OrderFault::Ok
            | OrderFault::TimeoutAfterEffect
            | OrderFault::ServerErrorAfterEffect
            | OrderFault::Transient,
        ) => {}
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
    let injected = if reprice {
        Some(FaultKind::PriceChanged)
    } else if offer.fate == before {
        None
    } else {
        match offer.fate {
            OfferFate::Expired => Some(FaultKind::OfferExpired),
            OfferFate::Refused => Some(FaultKind::OrderRejected),
            OfferFate::Undecided | OfferFate::Clean => None,
        }
    };
    if offer.fate == OfferFate::Undecided {
        offer.fate = OfferFate::Clean;
    }
    injected
}

fn create(
    state: &mut DuffelState,
    offer: &Offer,
    request: OrderRequest,
    now: DateTime<Utc>,
) -> Order {
    let id = state.new_id("ord");
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
            unique_identifier: state.new_ticket_number(),
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
