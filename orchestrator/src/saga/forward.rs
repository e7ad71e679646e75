//! Forward transitions: search -> select -> authorize -> order -> capture.

use chrono::{DateTime, Utc};

use autobook_contracts::Step;
use autobook_contracts::events::{
    OffersFound, OrderCreated, PaymentAuthorized, PaymentCaptured, PaymentDeclined,
};
use autobook_contracts::notification::FailureReason;
use autobook_contracts::offer::OfferSummary;

use super::decision::{Decision, Effect};
use super::policy::Policy;
use super::state::{AfterRelease, Booking, Hold, OrderRef, Outcome, Phase, Saga};
use super::{commitments, lost_hold, offer_match, ranking, steps, watching};

/// Offers arrived: hold the money for the best acceptable one, or give up.
/// Offers that do not answer the trip count for nothing, not even as the
/// cheapest seen; offers left out only for want of identity documents are
/// remembered, so the traveller is told why.
pub fn offers_found(
    saga: &Saga,
    event: &OffersFound,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    if saga.past_deadline(now) {
        // Too late to book: what this search saw no longer counts.
        return watching::deadline_passed(saga);
    }
    let sifted = ranking::sift(&event.offers, &saga.trip, now, policy);
    let chosen = ranking::best(&sifted.acceptable, &policy.weights);
    let answering = event
        .offers
        .iter()
        .filter(|offer| offer_match::check(offer, &saga.trip).is_ok());
    let saga = &Saga {
        cheapest_seen: watching::cheapest(saga, answering),
        identity_documents_needed: saga.identity_documents_needed
            || (chosen.is_none() && sifted.needing_documents > 0),
        ..saga.clone()
    };
    match chosen {
        Some(offer) => {
            let key = steps::key(saga, Step::Authorize);
            let command = steps::authorize(saga, key.clone(), offer);
            let expiry = commitments::offer_timer(&key, offer, now, policy);
            Decision::new(
                saga,
                Phase::Authorizing {
                    key,
                    offer: offer.clone(),
                },
                vec![Effect::Send(command.into()), expiry],
            )
        }
        None => {
            let offers_seen = u32::try_from(event.offers.len()).unwrap_or(u32::MAX);
            watching::wait_or_give_up(saga, offers_seen, now, policy)
        }
    }
}

pub fn search_failed() -> FailureReason {
    FailureReason::SearchFailed
}

pub fn declined(event: &PaymentDeclined) -> FailureReason {
    FailureReason::PaymentDeclined {
        decline_code: event.decline_code.clone(),
    }
}

pub fn payment_failed() -> FailureReason {
    FailureReason::PaymentFailed
}

/// The hold is in place: create the airline order, unless the traveller
/// cancelled meanwhile or the offer can no longer be ordered and paid.
pub fn authorized(
    saga: &Saga,
    offer: &OfferSummary,
    event: &PaymentAuthorized,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    let hold = Hold {
        payment_intent_id: event.payment_intent_id.clone(),
        amount: event.amount,
    };
    if saga.has_lost(&hold) {
        // Stripe reported this hold canceled before its answer came.
        return lost_hold::hold_gone(saga, now, policy);
    }
    if saga.cancel_requested {
        return steps::release_hold(saga, hold, AfterRelease::Cancelled);
    }
    if event.amount != offer.total {
        // The worker held a different amount than asked: never order against it.
        return steps::release_hold(
            saga,
            hold,
            AfterRelease::Fail {
                reason: FailureReason::PaymentFailed,
            },
        );
    }
    if !commitments::still_orderable(offer, now, policy) {
        return commitments::release_for_new_search(saga, hold, policy);
    }
    let key = steps::key(saga, Step::Order);
    let command = steps::order(saga, key.clone(), offer);
    let lapse = commitments::hold_timer(&steps::key(saga, Step::Authorize), policy);
    Decision::new(
        saga,
        Phase::Ordering {
            key,
            offer: offer.clone(),
            hold,
        },
        vec![Effect::Send(command.into()), lapse],
    )
}

/// The order exists: take the money.
pub fn ordered(saga: &Saga, offer: &OfferSummary, hold: &Hold, event: &OrderCreated) -> Decision {
    let order = OrderRef {
        order_id: event.order_id.clone(),
        booking_reference: event.booking_reference.clone(),
        amount: event.amount,
    };
    if saga.cancel_requested {
        return steps::cancel_order(saga, hold.clone(), order, FailureReason::OrderRejected);
    }
    if order.amount.currency != hold.amount.currency
        || order.amount.amount_minor > hold.amount.amount_minor
    {
        // The airline charged more than the traveller's hold covers.
        return steps::cancel_order(saga, hold.clone(), order, FailureReason::OrderRejected);
    }
    if saga.has_lost(hold) {
        // Ordered without a valid hold: it cannot be paid for.
        return steps::cancel_order(saga, hold.clone(), order, FailureReason::HoldLapsing);
    }
    let key = steps::key(saga, Step::Capture);
    let command = steps::capture(saga, key.clone(), hold, &order);
    let phase = Phase::Capturing {
        key,
        offer: offer.clone(),
        hold: hold.clone(),
        order,
    };
    Decision::new(saga, phase, vec![Effect::Send(command.into())])
}

/// The money is taken: the trip is booked; tell the traveller.
pub fn captured(
    saga: &Saga,
    offer: &OfferSummary,
    hold: &Hold,
    order: &OrderRef,
    event: &PaymentCaptured,
) -> Decision {
    let booking = Booking {
        order: order.clone(),
        payment_intent_id: hold.payment_intent_id.clone(),
        captured: event.amount,
        offer: offer.clone(),
    };
    if saga.cancel_requested {
        // Booked while the cancel waited: undo the booking, no confirmation.
        return steps::cancel_booking(saga, &booking);
    }
    let key = steps::key(saga, Step::Notify);
    let command = steps::confirmation(saga, key.clone(), &booking);
    Decision::new(
        saga,
        Phase::Notifying {
            key,
            outcome: Outcome::Booked {
                booking: Box::new(booking),
            },
        },
        vec![Effect::Send(command.into())],
    )
}
