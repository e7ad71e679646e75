//! Outside deadlines as timers: the offer's expiry (and payment deadline)
//! and the card hold's lapse.

use chrono::Duration;

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::Phase;
use crate::saga::{DecideError, Effect, decide};

fn scheduled(effects: &[Effect]) -> Vec<(SagaTimer, std::time::Duration)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Schedule { timer, after } => Some((timer.clone(), *after)),
            Effect::Send(_) => None,
        })
        .collect()
}

fn hold_expiring() -> TimerFired {
    TimerFired {
        timer: SagaTimer::HoldExpiring {
            idempotency_key: key(Step::Authorize, 1),
        },
    }
}

#[test]
fn selecting_an_offer_sets_its_expiry_timer_and_a_hold_sets_its_lapse_timer() {
    let offer_timers = scheduled(&enter_authorizing().effects);
    assert_eq!(
        offer_timers,
        vec![(
            SagaTimer::OfferExpiring {
                idempotency_key: key(Step::Authorize, 1)
            },
            // Expires in 30 minutes, less the one-minute margin.
            std::time::Duration::from_secs(29 * 60)
        )]
    );
    let hold_timers = scheduled(&enter_ordering().effects);
    assert_eq!(
        hold_timers,
        vec![(
            SagaTimer::HoldExpiring {
                idempotency_key: key(Step::Authorize, 1)
            },
            // Seven days less the one-day guard.
            std::time::Duration::from_secs(6 * 24 * 3600)
        )]
    );
}

#[test]
fn a_payment_deadline_earlier_than_the_expiry_is_the_one_that_counts() {
    let mut offer = offer("off_pay", 40000, 330, 0);
    offer.payment_required_by = Some(now() + Duration::minutes(10));
    let found = OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq".into(),
        offers: vec![offer],
    };
    let decision = apply(&searching(), found);
    assert_eq!(
        scheduled(&decision.effects)[0].1,
        std::time::Duration::from_secs(9 * 60)
    );
}

#[test]
fn an_authorization_that_comes_back_after_the_offer_expired_is_released_not_ordered() {
    let saga = authorizing();
    let late = now() + Duration::minutes(29) + Duration::seconds(30);
    let authorized = PaymentAuthorized {
        idempotency_key: key(Step::Authorize, 1),
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    };
    let decision = decide(&saga, &authorized.into(), late, &policy()).unwrap();
    assert_eq!(decision.saga.phase.status(), "releasing_hold");
    assert!(matches!(sent(&decision), Message::VoidHold(_)));
}

#[test]
fn a_hold_about_to_lapse_while_paused_before_ordering_is_released() {
    let paused = deferred(&ordering());
    let decision = apply(&paused, hold_expiring());
    let Phase::ReleasingHold { hold, .. } = &decision.saga.phase else {
        panic!("expected a release, got {:?}", decision.saga.phase);
    };
    assert_eq!(hold.payment_intent_id, "pi_1");
    let voided = HoldVoided {
        idempotency_key: key(Step::Void, 1),
        payment_intent_id: "pi_1".into(),
    };
    let told = apply(&decision.saga, voided);
    assert!(matches!(
        &told.saga.phase,
        Phase::Notifying {
            outcome: crate::saga::state::Outcome::Failed {
                reason: FailureReason::HoldLapsing
            },
            ..
        }
    ));
}

#[test]
fn a_hold_about_to_lapse_while_paused_before_capture_cancels_the_order_first() {
    let paused = deferred(&capturing());
    let decision = apply(&paused, hold_expiring());
    assert_eq!(decision.saga.phase.status(), "cancelling_order");
    assert!(matches!(sent(&decision), Message::CancelOrder(_)));
}

#[test]
fn a_hold_about_to_lapse_with_an_unknown_order_goes_to_an_operator() {
    let unknown_order = apply(&ordering(), unknown(key(Step::Order, 1), Step::Order)).saga;
    let decision = apply(&unknown_order, hold_expiring());
    assert_eq!(decision.saga.phase.status(), "stuck");
}

#[test]
fn commitment_timers_of_another_round_or_a_step_in_flight_are_stale() {
    // A capture in flight will settle the hold itself.
    assert!(matches!(
        try_apply(&capturing(), hold_expiring()),
        Err(DecideError::StaleTimer { .. })
    ));
    // A timer of round 1 after the saga moved to round 2.
    let mut next_round = deferred(&ordering());
    next_round.epoch = 2;
    assert!(matches!(
        try_apply(&next_round, hold_expiring()),
        Err(DecideError::StaleTimer { .. })
    ));
    // The offer expiring while paused before authorizing: search again.
    let paused = deferred(&authorizing());
    let expiring = TimerFired {
        timer: SagaTimer::OfferExpiring {
            idempotency_key: key(Step::Authorize, 1),
        },
    };
    let decision = apply(&paused, expiring.clone());
    assert!(
        matches!(sent(&decision), Message::SearchOffers(s) if s.idempotency_key == key(Step::Search, 2))
    );
    assert!(matches!(
        try_apply(&booked(), expiring),
        Err(DecideError::StaleTimer { .. })
    ));
}
