//! A hold lost outside the system (Stripe reports its intent canceled):
//! given up at once when nothing is in flight, remembered while a step that
//! uses it is, and then routed into compensation. Never captured, never
//! voided again; harmless where the saga does not count on it.

use chrono::Duration;

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::{Outcome, Phase, Saga};
use crate::saga::{DecideError, Decision, Effect, Policy};

/// Nothing the decision sends touches the lost hold: no capture, no void.
fn leaves_the_hold_alone(decision: &Decision) {
    for message in sends(decision) {
        assert!(
            !matches!(
                message,
                Message::CapturePayment(_) | Message::VoidHold(_) | Message::AuthorizePayment(_)
            ),
            "{message:?}"
        );
    }
}

/// The saga searches again, in the next round, having counted the search.
fn searches_again(decision: &Decision, before: &Saga) {
    leaves_the_hold_alone(decision);
    assert!(
        matches!(&decision.saga.phase, Phase::Searching { key } if *key == key_of(before, 2)),
        "{:?}",
        decision.saga.phase
    );
    assert!(matches!(sent(decision), Message::SearchOffers(_)));
    assert_eq!(decision.saga.reprices, before.reprices + 1);
}

fn key_of(saga: &Saga, epoch: u32) -> autobook_contracts::IdempotencyKey {
    autobook_contracts::IdempotencyKey::derive(saga.id, Step::Search, epoch)
}

fn fails_with(decision: &Decision, expected: FailureReason) {
    leaves_the_hold_alone(decision);
    assert!(
        matches!(
            &decision.saga.phase,
            Phase::Notifying { outcome: Outcome::Failed { reason }, .. } if *reason == expected
        ),
        "{:?}",
        decision.saga.phase
    );
}

/// Cancelling the order, for the lapsed hold.
fn cancels_the_order(decision: &Decision) {
    leaves_the_hold_alone(decision);
    assert!(
        matches!(
            &decision.saga.phase,
            Phase::CancellingOrder {
                reason: FailureReason::HoldLapsing,
                ..
            }
        ),
        "{:?}",
        decision.saga.phase
    );
    assert!(matches!(sent(decision), Message::CancelOrder(c) if c.order_id == "ord_1"));
}

/// Only the saga's memory changes: the step in flight will answer.
fn remembers(saga: &Saga) -> Saga {
    let noted = apply(saga, intent_canceled("pi_1"));
    assert!(noted.effects.is_empty(), "{:?}", noted.effects);
    assert_eq!(noted.saga.phase, saga.phase);
    assert_eq!(noted.saga.lost_hold.as_deref(), Some("pi_1"));
    noted.saga
}

fn order_cancelled() -> OrderCancelled {
    OrderCancelled {
        idempotency_key: key(Step::Cancel, 1),
        order_id: "ord_1".into(),
        refund: None,
    }
}

fn order_failed(reason: OrderFailureReason) -> OrderFailed {
    OrderFailed {
        idempotency_key: key(Step::Order, 1),
        reason,
        detail: "x".into(),
    }
}

#[test]
fn paused_before_ordering_the_hold_is_given_up_without_a_void_and_the_trip_searched_again() {
    let paused = deferred(&ordering());
    let decision = apply(&paused, intent_canceled("pi_1"));
    searches_again(&decision, &paused);
    assert_eq!(decision.saga.lost_hold.as_deref(), Some("pi_1"));
}

#[test]
fn past_the_deadline_the_lost_hold_ends_the_trip_for_the_lapse() {
    let mut paused = deferred(&ordering());
    paused.deadline = Some(now() - Duration::minutes(1));
    fails_with(
        &apply(&paused, intent_canceled("pi_1")),
        FailureReason::HoldLapsing,
    );
}

#[test]
fn a_lost_hold_counts_against_the_budget_of_searches() {
    let mut paused = deferred(&ordering());
    paused.reprices = Policy::default().max_searches - 1;
    fails_with(
        &apply(&paused, intent_canceled("pi_1")),
        FailureReason::OffersKeptChanging {
            searches: Policy::default().max_searches,
        },
    );
}

#[test]
fn paused_before_capturing_the_order_is_cancelled_then_the_trip_searched_again() {
    let paused = deferred(&capturing());
    let cancelling = apply(&paused, intent_canceled("pi_1"));
    cancels_the_order(&cancelling);
    searches_again(&apply(&cancelling.saga, order_cancelled()), &paused);
}

#[test]
fn an_order_made_while_its_hold_was_lost_is_cancelled_not_captured() {
    let noted = remembers(&ordering());
    let created = OrderCreated {
        idempotency_key: key(Step::Order, 1),
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    };
    let cancelling = apply(&noted, created);
    cancels_the_order(&cancelling);
    searches_again(&apply(&cancelling.saga, order_cancelled()), &noted);
}

#[test]
fn an_order_that_failed_on_a_lost_hold_releases_nothing() {
    let noted = remembers(&ordering());
    fails_with(
        &apply(&noted, order_failed(OrderFailureReason::Permanent)),
        FailureReason::OrderRejected,
    );
    searches_again(
        &apply(&noted, order_failed(OrderFailureReason::OfferExpired)),
        &noted,
    );
}

#[test]
fn a_capture_refused_on_a_lost_hold_cancels_the_order_and_releases_nothing() {
    let noted = remembers(&capturing());
    let refused = CaptureFailed {
        idempotency_key: key(Step::Capture, 1),
        payment_intent_id: "pi_1".into(),
        detail: "payment intent is Canceled, cannot capture".into(),
    };
    let cancelling = apply(&noted, refused);
    cancels_the_order(&cancelling);
    searches_again(&apply(&cancelling.saga, order_cancelled()), &noted);
}

#[test]
fn a_capture_deferred_or_unknown_after_the_loss_is_not_sent_again() {
    let noted = remembers(&capturing());
    let deferral = StepDeferred {
        idempotency_key: key(Step::Capture, 1),
        step: Step::Capture,
        reason: "kill_switch".into(),
    };
    cancels_the_order(&apply(&noted, deferral));
    let unknown = apply(&noted, unknown(key(Step::Capture, 1), Step::Capture));
    cancels_the_order(&unknown);
    assert_eq!(unknown.saga.rechecks, 0, "a new step, fresh budgets");
}

#[test]
fn a_report_while_the_capture_outcome_is_unknown_settles_it_as_not_captured() {
    let waiting = apply(&capturing(), unknown(key(Step::Capture, 1), Step::Capture)).saga;
    cancels_the_order(&apply(&waiting, intent_canceled("pi_1")));
}

#[test]
fn an_order_being_cancelled_leaves_nothing_to_release_after_the_loss() {
    let noted = remembers(&cancelling_order());
    searches_again(&apply(&noted, order_cancelled()), &noted);
}

#[test]
fn a_hold_reported_lost_before_its_authorization_is_never_ordered_on() {
    let noted = remembers(&authorizing());
    let authorized = PaymentAuthorized {
        idempotency_key: key(Step::Authorize, 1),
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    };
    searches_again(&apply(&noted, authorized), &noted);
}

#[test]
fn a_traveller_who_cancelled_meanwhile_is_told_once_the_order_is_undone() {
    let asked = apply(&remembers(&ordering()), cancel_request()).saga;
    let created = OrderCreated {
        idempotency_key: key(Step::Order, 1),
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    };
    let cancelling = apply(&asked, created);
    assert!(matches!(sent(&cancelling), Message::CancelOrder(_)));
    let stopped = apply(&cancelling.saga, order_cancelled());
    leaves_the_hold_alone(&stopped);
    assert!(matches!(
        stopped.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Cancelled { .. },
            ..
        }
    ));
}

#[test]
fn stuck_on_the_order_the_loss_is_remembered_for_the_operator_s_retry() {
    let mut saga = ordering();
    saga.rechecks = Policy::default().max_rechecks;
    let stuck = apply(&saga, unknown(key(Step::Order, 1), Step::Order)).saga;
    let noted = apply(&stuck, intent_canceled("pi_1"));
    assert!(noted.effects.is_empty());
    assert_eq!(noted.saga.lost_hold.as_deref(), Some("pi_1"));
    let retried = apply(&noted.saga, retry_request());
    let created = OrderCreated {
        idempotency_key: key(Step::Order, 1),
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    };
    cancels_the_order(&apply(&retried.saga, created));
}

#[test]
fn updates_the_saga_does_not_count_on_are_harmless() {
    let ignored = |saga: &Saga, update: PaymentIntentUpdated| {
        let result = try_apply(saga, update);
        assert!(
            matches!(&result, Err(e @ DecideError::IntentUpdateIgnored { .. }) if e.is_harmless()),
            "{} {result:?}",
            saga.phase.status()
        );
    };
    // Other statuses only confirm what the steps report.
    for status in ["requires_capture", "succeeded", "requires_payment_method"] {
        let update = PaymentIntentUpdated {
            status: status.into(),
            ..intent_canceled("pi_1")
        };
        ignored(&ordering(), update.clone());
        ignored(&deferred(&capturing()), update);
    }
    // Another intent (an earlier round's), or one the saga is releasing
    // itself, or one it has finished with.
    ignored(&ordering(), intent_canceled("pi_other"));
    ignored(&releasing_hold(), intent_canceled("pi_1"));
    ignored(&booked(), intent_canceled("pi_1"));
    ignored(&failed(), intent_canceled("pi_1"));
    ignored(&searching(), intent_canceled("pi_1"));
    // An intent another authorize step made.
    let earlier_round = PaymentIntentUpdated {
        authorize_key: Some(key(Step::Authorize, 7)),
        ..intent_canceled("pi_9")
    };
    ignored(&authorizing(), earlier_round);
    // The same loss reported twice (another event about it).
    ignored(&remembers(&ordering()), intent_canceled("pi_1"));
}

#[test]
fn a_saga_stored_before_it_remembered_lost_holds_still_reads() {
    let saga = ordering();
    let mut stored = serde_json::to_value(&saga).unwrap();
    assert!(stored.get("lost_hold").is_none(), "omitted while none");
    stored.as_object_mut().unwrap().remove("lost_hold");
    let read: Saga = serde_json::from_value(stored).unwrap();
    assert_eq!(read, saga);
    let noted = remembers(&saga);
    let round_trip: Saga = serde_json::from_value(serde_json::to_value(&noted).unwrap()).unwrap();
    assert_eq!(round_trip, noted);
}

#[test]
fn giving_up_the_hold_schedules_nothing_for_it() {
    let decision = apply(&deferred(&ordering()), intent_canceled("pi_1"));
    assert!(
        decision
            .effects
            .iter()
            .all(|e| matches!(e, Effect::Send(Message::SearchOffers(_)))),
        "{:?}",
        decision.effects
    );
}
