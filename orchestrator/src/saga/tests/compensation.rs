//! Failure paths and their compensations, including re-search and the
//! states that call a human.

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::{AfterRelease, Outcome, Phase, Saga};
use crate::saga::{Effect, Policy, decide, steps};

fn order_failed(saga: &Saga, reason: OrderFailureReason) -> crate::saga::Decision {
    let epoch = saga.epoch;
    apply(
        saga,
        OrderFailed {
            idempotency_key: key(Step::Order, epoch),
            reason,
            detail: "airline said no".into(),
        },
    )
}

#[test]
fn a_declined_card_orders_nothing_and_tells_the_traveller() {
    let decision = apply(
        &authorizing(),
        PaymentDeclined {
            idempotency_key: key(Step::Authorize, 1),
            payment_intent_id: Some("pi_1".into()),
            decline_code: Some("insufficient_funds".into()),
            detail: "declined".into(),
        },
    );
    let reason = FailureReason::PaymentDeclined {
        decline_code: Some("insufficient_funds".into()),
    };
    assert!(
        matches!(&decision.saga.phase, Phase::Notifying { outcome: Outcome::Failed { reason: r }, .. } if *r == reason)
    );
    assert!(
        matches!(sent(&decision), Message::SendNotification(_)),
        "only the notice, no order, no void"
    );
}

#[test]
fn a_payment_failure_tells_the_traveller() {
    let decision = apply(
        &authorizing(),
        PaymentFailed {
            idempotency_key: key(Step::Authorize, 1),
            detail: "x".into(),
        },
    );
    assert!(matches!(
        &decision.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::PaymentFailed
            },
            ..
        }
    ));
}

#[test]
fn an_expired_offer_releases_the_hold_then_searches_again_with_new_keys() {
    let releasing = order_failed(&ordering(), OrderFailureReason::OfferExpired);
    assert!(matches!(
        &releasing.saga.phase,
        Phase::ReleasingHold {
            then: AfterRelease::Research,
            ..
        }
    ));
    let Message::VoidHold(void) = sent(&releasing) else {
        panic!()
    };
    assert_eq!(
        (void.payment_intent_id.as_str(), &void.idempotency_key),
        ("pi_1", &key(Step::Void, 1))
    );

    let research = apply(
        &releasing.saga,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert_eq!(research.saga.epoch, 2);
    assert_eq!(
        research.saga.phase,
        Phase::Searching {
            key: key(Step::Search, 2)
        }
    );
    assert!(
        matches!(sent(&research), Message::SearchOffers(s) if s.idempotency_key == key(Step::Search, 2))
    );

    let found = apply(
        &research.saga,
        OffersFound {
            idempotency_key: key(Step::Search, 2),
            offer_request_id: "orq_2".into(),
            offers: vec![offer("off_2", 41000, 330, 0)],
        },
    );
    assert!(
        matches!(sent(&found), Message::AuthorizePayment(a) if a.idempotency_key == key(Step::Authorize, 2) && a.amount == usd(41000))
    );
}

#[test]
fn a_changed_price_also_leads_back_to_search() {
    let releasing = order_failed(&ordering(), OrderFailureReason::PriceChanged);
    assert!(matches!(
        &releasing.saga.phase,
        Phase::ReleasingHold {
            then: AfterRelease::Research,
            ..
        }
    ));
}

#[test]
fn re_searching_is_bounded() {
    let mut saga = ordering();
    while saga.epoch < Policy::default().max_searches {
        let epoch = saga.epoch;
        let releasing = order_failed(&saga, OrderFailureReason::OfferExpired);
        let searching = apply(
            &releasing.saga,
            HoldVoided {
                idempotency_key: key(Step::Void, epoch),
                payment_intent_id: "pi_1".into(),
            },
        );
        let found = OffersFound {
            idempotency_key: key(Step::Search, epoch + 1),
            offer_request_id: "orq".into(),
            offers: vec![offer("off_n", 40000, 330, 0)],
        };
        let authorizing = apply(&searching.saga, found);
        let authorized = PaymentAuthorized {
            idempotency_key: key(Step::Authorize, epoch + 1),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        };
        saga = apply(&authorizing.saga, authorized).saga;
    }
    assert_eq!(saga.epoch, 3);
    let releasing = order_failed(&saga, OrderFailureReason::OfferExpired);
    let reason = FailureReason::OffersKeptChanging {
        searches: saga.epoch,
    };
    assert!(
        matches!(&releasing.saga.phase, Phase::ReleasingHold { then: AfterRelease::Fail { reason: r }, .. } if *r == reason)
    );
}

#[test]
fn a_permanent_order_failure_releases_the_hold_and_fails() {
    let releasing = order_failed(&ordering(), OrderFailureReason::Permanent);
    assert!(matches!(sent(&releasing), Message::VoidHold(_)));
    let done = apply(
        &releasing.saga,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert!(matches!(
        &done.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::OrderRejected
            },
            ..
        }
    ));
    assert!(matches!(sent(&done), Message::SendNotification(_)));
}

#[test]
fn an_unknown_order_outcome_is_rechecked_never_guessed() {
    let ordering = ordering();
    let waiting = apply(&ordering, unknown(key(Step::Order, 1), Step::Order));
    assert_eq!(
        waiting.saga.phase,
        Phase::OutcomeUnknown {
            waiting: Box::new(ordering.phase.clone()),
            detail: "provider timed out".into(),
        },
        "no compensation while the order may exist"
    );
    assert_eq!(waiting.saga.rechecks, 1);
    let [
        Effect::Schedule {
            timer: SagaTimer::RecheckStep { idempotency_key },
            after,
        },
    ] = waiting.effects.as_slice()
    else {
        panic!("{:?}", waiting.effects)
    };
    assert_eq!(*idempotency_key, key(Step::Order, 1));
    assert_eq!(*after, Policy::default().recheck_delay);

    let recheck = apply(&waiting.saga, recheck_timer(key(Step::Order, 1)));
    assert_eq!(
        recheck.saga.phase, ordering.phase,
        "back to waiting on the order"
    );
    assert!(
        matches!(sent(&recheck), Message::CreateOrder(o) if o.idempotency_key == key(Step::Order, 1)),
        "same key: the worker looks it up"
    );
}

#[test]
fn an_outcome_that_stays_unknown_calls_a_human_and_keeps_the_hold() {
    let mut saga = ordering();
    saga.rechecks = Policy::default().max_rechecks;
    let stuck = apply(&saga, unknown(key(Step::Order, 1), Step::Order));
    assert!(
        matches!(&stuck.saga.phase, Phase::Stuck { hold: Some(h), order: None, resume: Some(r), .. } if h.payment_intent_id == "pi_1" && **r == saga.phase)
    );
    assert_eq!(status(&stuck.saga), "stuck");
    assert!(stuck.effects.is_empty());
}

#[test]
fn a_failed_capture_cancels_the_order_then_releases_the_hold() {
    let cancelling = apply(
        &capturing(),
        CaptureFailed {
            idempotency_key: key(Step::Capture, 1),
            payment_intent_id: "pi_1".into(),
            detail: "lapsed".into(),
        },
    );
    assert_eq!(status(&cancelling.saga), "cancelling_order");
    assert!(
        matches!(sent(&cancelling), Message::CancelOrder(c) if c.order_id == "ord_1" && c.idempotency_key == key(Step::Cancel, 1))
    );

    let releasing = apply(
        &cancelling.saga,
        OrderCancelled {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            refund: None,
        },
    );
    assert!(matches!(
        &releasing.saga.phase,
        Phase::ReleasingHold {
            then: AfterRelease::Fail {
                reason: FailureReason::CaptureFailed
            },
            ..
        }
    ));
    assert!(matches!(sent(&releasing), Message::VoidHold(_)));

    let told = apply(
        &releasing.saga,
        HoldVoided {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
        },
    );
    assert!(matches!(
        &told.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::CaptureFailed
            },
            ..
        }
    ));
    let done = apply(
        &told.saga,
        NotificationSent {
            idempotency_key: key(Step::Notify, 1),
            email_id: "em".into(),
        },
    );
    assert!(matches!(
        &done.saga.phase,
        Phase::Failed {
            reason: FailureReason::CaptureFailed,
            notified: true
        }
    ));
}

#[test]
fn an_order_costing_more_than_the_hold_is_cancelled() {
    let decision = apply(
        &ordering(),
        OrderCreated {
            idempotency_key: key(Step::Order, 1),
            order_id: "ord_1".into(),
            booking_reference: "X".into(),
            amount: usd(40001),
        },
    );
    assert!(matches!(
        &decision.saga.phase,
        Phase::CancellingOrder {
            reason: FailureReason::OrderRejected,
            ..
        }
    ));
}

#[test]
fn a_failed_void_is_retried_not_given_up() {
    let releasing = order_failed(&ordering(), OrderFailureReason::Permanent);
    let failed = apply(
        &releasing.saga,
        VoidFailed {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
            detail: "api down".into(),
            permanent: false,
        },
    );
    assert_eq!(failed.saga.phase, releasing.saga.phase);
    assert_eq!(failed.saga.compensation_attempts, 1);
    assert_eq!(
        failed.effects,
        vec![Effect::Schedule {
            timer: SagaTimer::RetryCompensation {
                idempotency_key: key(Step::Void, 1)
            },
            after: Policy::default().compensation_retry_delay,
        }]
    );
}

#[test]
fn a_hold_that_cannot_be_released_calls_a_human() {
    let mut saga = order_failed(&ordering(), OrderFailureReason::Permanent).saga;
    saga.compensation_attempts = Policy::default().max_compensation_attempts - 1;
    let stuck = apply(
        &saga,
        VoidFailed {
            idempotency_key: key(Step::Void, 1),
            payment_intent_id: "pi_1".into(),
            detail: "api down".into(),
            permanent: false,
        },
    );
    assert!(
        matches!(&stuck.saga.phase, Phase::Stuck { hold: Some(h), order: None, resume: Some(r), .. } if h.payment_intent_id == "pi_1" && **r == saga.phase)
    );
    assert!(stuck.saga.phase.is_terminal());
    assert!(stuck.effects.is_empty());
}

#[test]
fn an_order_that_cannot_be_cancelled_calls_a_human() {
    let cancelling = apply(
        &capturing(),
        CaptureFailed {
            idempotency_key: key(Step::Capture, 1),
            payment_intent_id: "pi_1".into(),
            detail: "x".into(),
        },
    );
    let mut saga = cancelling.saga;
    saga.compensation_attempts = Policy::default().max_compensation_attempts - 1;
    let stuck = apply(
        &saga,
        CancelFailed {
            idempotency_key: key(Step::Cancel, 1),
            order_id: "ord_1".into(),
            detail: "x".into(),
        },
    );
    assert!(
        matches!(&stuck.saga.phase, Phase::Stuck { hold: Some(_), order: Some(o), resume: Some(r), .. } if o.order_id == "ord_1" && **r == saga.phase)
    );
    assert!(stuck.effects.is_empty());
}

#[test]
fn failure_notices_end_in_failed_even_when_the_email_fails() {
    let told = apply(
        &searching(),
        SearchFailed {
            idempotency_key: key(Step::Search, 1),
            detail: "x".into(),
        },
    );
    let done = decide(
        &told.saga,
        &NotificationFailed {
            idempotency_key: key(Step::Notify, 1),
            detail: "x".into(),
        }
        .into(),
        now(),
        &policy(),
    )
    .unwrap();
    assert!(matches!(
        &done.saga.phase,
        Phase::Failed {
            reason: FailureReason::SearchFailed,
            notified: false
        }
    ));
}

#[test]
fn each_effectful_step_sends_its_declared_command() {
    for (saga, declared) in [
        (authorizing(), steps::AUTHORIZE),
        (ordering(), steps::ORDER),
        (capturing(), steps::CAPTURE),
    ] {
        let command = steps::resend(&saga, &saga.phase).expect("a step in flight");
        assert_eq!(command.message_type(), declared.command);
        assert_eq!(
            command.idempotency_key(),
            Some(&steps::key(&saga, declared.step))
        );
    }
}

#[test]
fn each_compensation_sends_the_undo_declared_for_its_step() {
    let saga = capturing();
    let Phase::Capturing { hold, order, .. } = saga.phase.clone() else {
        panic!("capturing");
    };
    let Phase::Booked { booking, .. } = booked().phase else {
        panic!("booked");
    };
    let built = [
        (
            steps::AUTHORIZE,
            steps::release_hold(&saga, hold.clone(), AfterRelease::Research),
        ),
        (
            steps::ORDER,
            steps::cancel_order(&saga, hold, order, FailureReason::CaptureFailed),
        ),
        (steps::ORDER, steps::cancel_booking(&saga, &booking)),
        (
            steps::CAPTURE,
            steps::refund_booking(&saga, &booking, booking.captured),
        ),
    ];
    for (declared, decision) in built {
        let [Effect::Send(command)] = decision.effects.as_slice() else {
            panic!("one command: {:?}", decision.effects);
        };
        assert_eq!(command.message_type(), declared.undo_command);
        assert_eq!(
            command.idempotency_key(),
            Some(&steps::key(&saga, declared.undo))
        );
        // A retry rebuilds exactly the same command from the state.
        assert_eq!(
            steps::resend(&decision.saga, &decision.saga.phase).as_ref(),
            Some(command)
        );
    }
}
