//! What real transitions mean for the metrics (`saga_metrics::observe`):
//! started, steps done, finished with their durations, compensations
//! started and failed, stuck by step; offers that do not answer the trip
//! (`saga_metrics::mismatched_offers`).

use std::time::Duration;

use autobook_contracts::events::*;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::{Policy, Saga};
use crate::saga_metrics::{Observation, Timings, observe};

const TIMINGS: Timings = Timings {
    in_status: Duration::from_millis(1500),
    since_start: Duration::from_secs(42),
};

/// Applies `message` and returns what the transition observes.
fn observed(saga: &Saga, message: impl Into<Message>) -> Vec<Observation> {
    observed_with(saga, message, &policy())
}

fn observed_with(saga: &Saga, message: impl Into<Message>, policy: &Policy) -> Vec<Observation> {
    let message = message.into();
    let next = apply_with(saga, message.clone(), policy).saga;
    observe(Some((&saga.phase, TIMINGS)), &message, &next.phase)
}

fn void_failed(saga: &Saga) -> VoidFailed {
    VoidFailed {
        idempotency_key: pending(saga),
        payment_intent_id: "pi_1".into(),
        detail: "stripe down".into(),
        permanent: false,
    }
}

#[test]
fn a_new_saga_is_started_and_has_no_step_time() {
    let saga = searching();
    let seen = observe(None, &trip().into(), &saga.phase);
    assert_eq!(
        seen,
        vec![
            Observation::Started,
            Observation::Transition {
                from: "new",
                to: "searching"
            },
        ]
    );
}

#[test]
fn leaving_a_step_records_the_time_spent_in_it() {
    let seen = observed(
        &ordering(),
        OrderCreated {
            idempotency_key: key(Step::Order, 1),
            order_id: "ord_1".into(),
            booking_reference: "RZPNX8".into(),
            amount: usd(40000),
        },
    );
    assert_eq!(
        seen,
        vec![
            Observation::Transition {
                from: "ordering",
                to: "capturing"
            },
            Observation::StepDone {
                step: "ordering",
                took: TIMINGS.in_status
            },
        ]
    );
}

#[test]
fn reaching_booked_records_the_whole_saga_time() {
    let sent = NotificationSent {
        idempotency_key: key(Step::Notify, 1),
        email_id: "em".into(),
    };
    let seen = observed(&notifying_booked(), sent);
    assert!(seen.contains(&Observation::Finished {
        status: "booked",
        took: Some(TIMINGS.since_start)
    }));
    assert!(!seen.contains(&Observation::Started));
}

#[test]
fn a_failed_order_starts_releasing_the_hold() {
    let seen = observed(
        &ordering(),
        OrderFailed {
            idempotency_key: key(Step::Order, 1),
            reason: OrderFailureReason::Permanent,
            detail: "no".into(),
        },
    );
    assert!(seen.contains(&Observation::CompensationStarted("void_hold")));
}

#[test]
fn a_failed_capture_starts_cancelling_then_releasing() {
    let failed = CaptureFailed {
        idempotency_key: key(Step::Capture, 1),
        payment_intent_id: "pi_1".into(),
        detail: "lapsed".into(),
    };
    let seen = observed(&capturing(), failed);
    assert!(seen.contains(&Observation::CompensationStarted("cancel_order")));
    let cancelled = OrderCancelled {
        idempotency_key: pending(&cancelling_order()),
        order_id: "ord_1".into(),
        refund: None,
    };
    let seen = observed(&cancelling_order(), cancelled);
    assert!(seen.contains(&Observation::CompensationStarted("void_hold")));
    assert!(!seen.contains(&Observation::CompensationStarted("cancel_order")));
}

#[test]
fn a_failed_void_is_a_failed_attempt_not_a_new_start() {
    let saga = releasing_hold();
    let seen = observed(&saga, void_failed(&saga));
    assert_eq!(
        seen,
        vec![
            Observation::Transition {
                from: "releasing_hold",
                to: "releasing_hold"
            },
            Observation::CompensationFailed("void_hold"),
        ],
        "no step time either: the saga stays in its status"
    );
}

#[test]
fn a_void_that_keeps_failing_makes_the_saga_stuck_on_releasing_the_hold() {
    let once = Policy {
        max_compensation_attempts: 1,
        ..policy()
    };
    let saga = releasing_hold();
    let seen = observed_with(&saga, void_failed(&saga), &once);
    assert!(seen.contains(&Observation::CompensationFailed("void_hold")));
    assert!(seen.contains(&Observation::Stuck {
        step: "releasing_hold"
    }));
    assert!(seen.contains(&Observation::Finished {
        status: "stuck",
        took: Some(TIMINGS.since_start)
    }));
}

#[test]
fn an_operator_retry_of_a_stuck_compensation_is_not_a_new_start() {
    let once = Policy {
        max_compensation_attempts: 1,
        ..policy()
    };
    let saga = releasing_hold();
    let stuck = apply_with(&saga, void_failed(&saga), &once).saga;
    let seen = observed(&stuck, retry_request());
    assert!(
        !seen
            .iter()
            .any(|o| matches!(o, Observation::CompensationStarted(_))),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|o| matches!(o, Observation::Finished { .. })),
        "{seen:?}"
    );
    let aborted = observed(&stuck, abort_request());
    assert!(aborted.contains(&Observation::Finished {
        status: "aborted",
        took: None
    }));
    assert!(
        !aborted
            .iter()
            .any(|o| matches!(o, Observation::Stuck { .. }))
    );
}

#[test]
fn an_unknown_outcome_stuck_names_the_step_it_waited_on() {
    let no_rechecks = Policy {
        max_rechecks: 0,
        ..policy()
    };
    let saga = ordering();
    let seen = observed_with(&saga, unknown(pending(&saga), Step::Order), &no_rechecks);
    assert!(seen.contains(&Observation::Stuck { step: "ordering" }));
}

#[test]
fn a_recheck_of_a_compensation_is_not_a_new_start() {
    let saga = releasing_hold();
    let waiting = apply(&saga, unknown(pending(&saga), Step::Void)).saga;
    let seen = observed(&waiting, recheck_timer(pending(&saga)));
    assert!(
        !seen
            .iter()
            .any(|o| matches!(o, Observation::CompensationStarted(_))),
        "{seen:?}"
    );
    assert!(seen.contains(&Observation::StepDone {
        step: "outcome_unknown",
        took: TIMINGS.in_status
    }));
}

#[test]
fn offers_that_do_not_answer_the_trip_are_counted_by_mismatch() {
    use crate::saga_metrics::mismatched_offers;
    let mut elsewhere = offer("off_elsewhere", 100, 330, 0);
    elsewhere.slices[0].destination = elsewhere.slices[0].origin.clone();
    let mut elsewhere_too = elsewhere.clone();
    elsewhere_too.offer_id = "off_elsewhere_too".into();
    let mut next_day = offer("off_next_day", 100, 330, 0);
    next_day.slices[0].departing_at += chrono::Duration::days(1);
    let found = OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq_1".into(),
        offers: vec![
            elsewhere,
            offer("off_right", 100, 330, 0),
            next_day,
            elsewhere_too,
        ],
    };
    assert_eq!(
        mismatched_offers(&trip(), &found.clone().into()),
        vec![
            Observation::OffersMismatched {
                mismatch: "route",
                count: 2
            },
            Observation::OffersMismatched {
                mismatch: "date",
                count: 1
            },
        ]
    );
    let answering = OffersFound {
        offers: vec![offer("off_right", 100, 330, 0)],
        ..found
    };
    assert!(mismatched_offers(&trip(), &answering.into()).is_empty());
    assert!(mismatched_offers(&trip(), &trip().into()).is_empty());
}

/// One of each refusal, so every code can be checked against the lists
/// the metrics create series from. The match has no wildcard: a new
/// variant does not compile until it is added here.
fn every_decide_error() -> Vec<crate::saga::DecideError> {
    use crate::saga::DecideError;
    let key = autobook_contracts::IdempotencyKey::derive(uuid::Uuid::nil(), Step::Search, 1);
    let errors = vec![
        DecideError::IllegalTransition {
            status: "searching",
            message_type: autobook_contracts::MessageType::OffersFound,
        },
        DecideError::StaleReply {
            expected: None,
            got: key.clone(),
        },
        DecideError::AlreadyStarted,
        DecideError::StaleTimer {
            key,
            status: "booked",
        },
        DecideError::NothingToRetry,
        DecideError::NothingToCancel { status: "booked" },
        DecideError::NotPaused { status: "booked" },
        DecideError::IntentUpdateIgnored {
            payment_intent_id: "pi_1".into(),
            intent_status: "succeeded".into(),
            status: "booked",
        },
    ];
    for error in &errors {
        match error {
            DecideError::IllegalTransition { .. }
            | DecideError::StaleReply { .. }
            | DecideError::AlreadyStarted
            | DecideError::StaleTimer { .. }
            | DecideError::NothingToRetry
            | DecideError::NothingToCancel { .. }
            | DecideError::NotPaused { .. }
            | DecideError::IntentUpdateIgnored { .. } => {}
        }
    }
    errors
}

#[test]
fn every_refusal_code_is_listed_for_the_metrics_series() {
    use crate::consumer::rejection_codes;
    use crate::saga::causation::CauseError;
    let listed: Vec<&str> = rejection_codes().collect();
    let errors = every_decide_error();
    assert_eq!(errors.len(), crate::saga::DecideError::CODES.len());
    for error in errors {
        assert!(listed.contains(&error.code()), "{}", error.code());
    }
    let message_type = autobook_contracts::MessageType::PaymentAuthorized;
    for error in [
        CauseError::Missing(message_type),
        CauseError::NotOurs(message_type),
        CauseError::OtherStep(message_type),
    ] {
        assert!(listed.contains(&error.code()), "{}", error.code());
    }
    let mut unique = listed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), listed.len(), "a code listed twice");
}
