//! Builders for saga tests: a trip, offers, a sample of every message type,
//! and helpers that drive a saga to each phase.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::json;
use uuid::Uuid;

use autobook_contracts::commands::*;
use autobook_contracts::events::*;
use autobook_contracts::fixtures;
use autobook_contracts::money::{Currency, Money};
use autobook_contracts::notification::NotificationContent;
use autobook_contracts::offer::{OfferSlice, OfferSummary};
use autobook_contracts::trip::{CabinClass, TripRequest};

use crate::saga::state::Phase;
use autobook_contracts::{IdempotencyKey, Message, MessageType, Step};

use crate::saga::{Admission, DecideError, Decision, Effect, Policy, Saga, decide, start};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap()
}

pub fn saga_id() -> Uuid {
    Uuid::parse_str("01937a2e-0000-7000-8000-000000000001").unwrap()
}

/// The shared sample trip for two passengers (an adult and a child) on
/// 2027-03-14, at most 600.00 USD, for `usr_1`.
pub fn trip_json() -> serde_json::Value {
    fixtures::trip_json_with(|t| {
        t["user_id"] = json!("usr_1");
        t["departure_date"] = json!("2027-03-14");
        t["passengers"] = json!([fixtures::amelia(), fixtures::charles()]);
        t["max_price"]["amount_minor"] = json!(60000);
    })
}

pub fn trip() -> TripRequest {
    serde_json::from_value(trip_json()).unwrap()
}

pub fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

/// An economy JFK-LAX offer for two passengers.
pub fn offer(id: &str, total: i64, minutes: u32, stops: u8) -> OfferSummary {
    let departing = NaiveDate::from_ymd_opt(2027, 3, 14)
        .unwrap()
        .and_hms_opt(8, 30, 0)
        .unwrap();
    OfferSummary {
        offer_id: id.into(),
        total: usd(total),
        expires_at: now() + Duration::minutes(30),
        payment_required_by: None,
        owner: autobook_contracts::codes::AirlineCode::parse("AA").unwrap(),
        owner_name: "American Airlines".into(),
        cabin_class: CabinClass::Economy,
        passenger_ids: vec!["pas_1".into(), "pas_2".into()],
        slices: vec![OfferSlice {
            origin: autobook_contracts::codes::PlaceCode::parse("JFK").unwrap(),
            destination: autobook_contracts::codes::PlaceCode::parse("LAX").unwrap(),
            departing_at: departing,
            arriving_at: departing + Duration::minutes(i64::from(minutes) - 180),
            duration_minutes: minutes,
            stops,
            flights: vec!["AA1".into()],
        }],
        identity_documents_required: false,
    }
}

pub fn key(step: Step, epoch: u32) -> IdempotencyKey {
    IdempotencyKey::derive(saga_id(), step, epoch)
}

pub fn policy() -> Policy {
    Policy::default()
}

pub fn apply(saga: &Saga, message: impl Into<Message>) -> Decision {
    decide(saga, &message.into(), now(), &policy()).expect("transition is legal")
}

/// [`apply`] under another policy.
pub fn apply_with(saga: &Saga, message: impl Into<Message>, policy: &Policy) -> Decision {
    decide(saga, &message.into(), now(), policy).expect("transition is legal")
}

/// The decision or its error, under the default policy.
pub fn try_apply(saga: &Saga, message: impl Into<Message>) -> Result<Decision, DecideError> {
    decide(saga, &message.into(), now(), &policy())
}

/// The only message the decision sends.
pub fn sent(decision: &Decision) -> &Message {
    let sends = sends(decision);
    assert_eq!(
        sends.len(),
        1,
        "expected one command, got {:?}",
        decision.effects
    );
    sends[0]
}

pub fn searching() -> Saga {
    start(
        saga_id(),
        trip(),
        now(),
        &Policy::default(),
        &Admission::Open,
    )
    .unwrap()
    .saga
}

/// The decision that enters `authorizing` (and sends the authorization).
pub fn enter_authorizing() -> Decision {
    let found = OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq_1".into(),
        offers: vec![offer("off_1", 40000, 330, 0)],
    };
    apply(&searching(), found)
}

pub fn authorizing() -> Saga {
    enter_authorizing().saga
}

/// The decision that enters `ordering` (and sends the order).
pub fn enter_ordering() -> Decision {
    let authorized = PaymentAuthorized {
        idempotency_key: key(Step::Authorize, 1),
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    };
    apply(&authorizing(), authorized)
}

pub fn ordering() -> Saga {
    enter_ordering().saga
}

/// The decision that enters `capturing` (and sends the capture).
pub fn enter_capturing() -> Decision {
    let created = OrderCreated {
        idempotency_key: key(Step::Order, 1),
        order_id: "ord_1".into(),
        booking_reference: "RZPNX8".into(),
        amount: usd(40000),
    };
    apply(&ordering(), created)
}

pub fn capturing() -> Saga {
    enter_capturing().saga
}

/// The decision that enters `notifying` a booking (and sends the confirmation).
pub fn enter_notifying_booked() -> Decision {
    let captured = PaymentCaptured {
        idempotency_key: key(Step::Capture, 1),
        payment_intent_id: "pi_1".into(),
        amount: usd(40000),
    };
    apply(&capturing(), captured)
}

pub fn notifying_booked() -> Saga {
    enter_notifying_booked().saga
}

/// The decision that enters `notifying` a failure (a failed search).
pub fn enter_notifying_failed() -> Decision {
    let failed = SearchFailed {
        idempotency_key: key(Step::Search, 1),
        detail: "x".into(),
    };
    apply(&searching(), failed)
}

pub fn notifying_failed() -> Saga {
    enter_notifying_failed().saga
}

/// The decision that enters `releasing_hold` after the airline refused the
/// order for good (and sends the void).
pub fn enter_releasing_hold() -> Decision {
    let failed = OrderFailed {
        idempotency_key: key(Step::Order, 1),
        reason: OrderFailureReason::Permanent,
        detail: "airline said no".into(),
    };
    apply(&ordering(), failed)
}

pub fn releasing_hold() -> Saga {
    enter_releasing_hold().saga
}

/// The decision that enters `cancelling_order` after a failed capture (and
/// sends the cancellation).
pub fn enter_cancelling_order() -> Decision {
    let failed = CaptureFailed {
        idempotency_key: key(Step::Capture, 1),
        payment_intent_id: "pi_1".into(),
        detail: "lapsed".into(),
    };
    apply(&capturing(), failed)
}

pub fn cancelling_order() -> Saga {
    enter_cancelling_order().saga
}

/// A booked, notified saga.
pub fn booked() -> Saga {
    let sent = NotificationSent {
        idempotency_key: key(Step::Notify, 1),
        email_id: "em".into(),
    };
    apply(&notifying_booked(), sent).saga
}

/// A failed, notified saga.
pub fn failed() -> Saga {
    let sent = NotificationSent {
        idempotency_key: key(Step::Notify, 1),
        email_id: "em".into(),
    };
    apply(&notifying_failed(), sent).saga
}

/// A policy that watches trips: a search every hour, no jitter.
pub fn watching_policy() -> Policy {
    Policy {
        watch: Some(crate::saga::WatchPolicy {
            interval: std::time::Duration::from_secs(3600),
            min_interval: std::time::Duration::from_secs(60),
            tighten_within: std::time::Duration::ZERO,
            jitter: 0.0,
            max_watch: None,
        }),
        ..Policy::default()
    }
}

/// Offers came back, none within the trip's maximum: the saga watches.
pub fn watching() -> Saga {
    let found = OffersFound {
        idempotency_key: key(Step::Search, 1),
        offer_request_id: "orq_1".into(),
        offers: vec![offer("off_dear", 90000, 330, 0)],
    };
    decide(&searching(), &found.into(), now(), &watching_policy())
        .unwrap()
        .saga
}

/// A worker deferred the step `saga` waits on (kill switch thrown).
pub fn deferred(saga: &Saga) -> Saga {
    let step = match saga.phase {
        Phase::Searching { .. } => Step::Search,
        Phase::Authorizing { .. } => Step::Authorize,
        Phase::Ordering { .. } => Step::Order,
        _ => Step::Capture,
    };
    apply(
        saga,
        StepDeferred {
            idempotency_key: pending(saga),
            step,
            reason: "kill_switch".into(),
        },
    )
    .saga
}

pub fn cancel_request() -> TripCancelRequested {
    TripCancelRequested {
        requested_by: "traveller".into(),
    }
}

/// A booked trip the traveller cancels: cancelling the airline order.
pub fn cancelling_booking() -> Saga {
    apply(&booked(), cancel_request()).saga
}

/// The airline refunded `refund` of the booked order: refunding the card.
pub fn refunding() -> Saga {
    let cancelled = OrderCancelled {
        idempotency_key: key(Step::Cancel, 1),
        order_id: "ord_1".into(),
        refund: Some(usd(30000)),
    };
    apply(&cancelling_booking(), cancelled).saga
}

/// Telling the traveller the trip is cancelled.
pub fn notifying_cancelled() -> Saga {
    apply(&searching(), cancel_request()).saga
}

/// A cancelled, notified saga.
pub fn cancelled() -> Saga {
    let sent = NotificationSent {
        idempotency_key: key(Step::NotifyCancellation, 1),
        email_id: "em".into(),
    };
    apply(&notifying_cancelled(), sent).saga
}

/// The key of the command the saga waits on.
pub fn pending(saga: &Saga) -> IdempotencyKey {
    saga.phase
        .pending_key()
        .cloned()
        .expect("the saga waits on a step")
}

/// A worker could not tell whether the step took effect.
pub fn unknown(key: IdempotencyKey, step: Step) -> StepOutcomeUnknown {
    StepOutcomeUnknown {
        idempotency_key: key,
        step,
        detail: "provider timed out".into(),
    }
}

pub fn recheck_timer(key: IdempotencyKey) -> TimerFired {
    TimerFired {
        timer: SagaTimer::RecheckStep {
            idempotency_key: key,
        },
    }
}

pub fn retry_timer(key: IdempotencyKey) -> TimerFired {
    TimerFired {
        timer: SagaTimer::RetryCompensation {
            idempotency_key: key,
        },
    }
}

pub fn retry_request() -> RetryRequested {
    RetryRequested {
        operator: "ops-alice".into(),
        reason: "provider is back".into(),
    }
}

pub fn abort_request() -> AbortRequested {
    AbortRequested {
        operator: "ops-alice".into(),
        reason: "voided by hand in the Stripe dashboard".into(),
    }
}

/// Stripe reports `payment_intent_id` (made by the first authorize step)
/// canceled outside the system.
pub fn intent_canceled(payment_intent_id: &str) -> PaymentIntentUpdated {
    PaymentIntentUpdated {
        payment_intent_id: payment_intent_id.into(),
        status: "canceled".into(),
        event_id: "evt_1".into(),
        authorize_key: Some(key(Step::Authorize, 1)),
        cancellation_reason: Some("automatic".into()),
    }
}

/// The messages a decision sends, in order.
pub fn sends(decision: &Decision) -> Vec<&Message> {
    decision
        .effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(m) => Some(m),
            Effect::Schedule { .. } => None,
        })
        .collect()
}

/// One message of every type, carrying `key` where the type has one.
pub fn sample(message_type: MessageType, key: &IdempotencyKey) -> Message {
    let k = || key.clone();
    let detail = || "detail".to_string();
    let notice = || NotificationContent::BookingFailed {
        reason: autobook_contracts::notification::FailureReason::SearchFailed,
        origin: autobook_contracts::codes::PlaceCode::parse("JFK").unwrap(),
        destination: autobook_contracts::codes::PlaceCode::parse("LAX").unwrap(),
        departure_date: NaiveDate::from_ymd_opt(2027, 3, 14).unwrap(),
    };
    let saga = searching();
    match message_type {
        MessageType::TripRequested => trip().into(),
        MessageType::SearchOffers => crate::saga::steps::search(&trip(), k()).into(),
        MessageType::OffersFound => OffersFound {
            idempotency_key: k(),
            offer_request_id: "orq".into(),
            offers: vec![],
        }
        .into(),
        MessageType::SearchFailed => SearchFailed {
            idempotency_key: k(),
            detail: detail(),
        }
        .into(),
        MessageType::AuthorizePayment => {
            crate::saga::steps::authorize(&saga, k(), &offer("off", 1, 1, 0)).into()
        }
        MessageType::PaymentAuthorized => PaymentAuthorized {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        }
        .into(),
        MessageType::PaymentDeclined => PaymentDeclined {
            idempotency_key: k(),
            payment_intent_id: Some("pi_1".into()),
            decline_code: Some("generic_decline".into()),
            detail: detail(),
        }
        .into(),
        MessageType::PaymentFailed => PaymentFailed {
            idempotency_key: k(),
            detail: detail(),
        }
        .into(),
        MessageType::CreateOrder => {
            crate::saga::steps::order(&saga, k(), &offer("off", 1, 1, 0)).into()
        }
        MessageType::OrderCreated => OrderCreated {
            idempotency_key: k(),
            order_id: "ord_1".into(),
            booking_reference: "ABC123".into(),
            amount: usd(40000),
        }
        .into(),
        MessageType::OrderFailed => OrderFailed {
            idempotency_key: k(),
            reason: OrderFailureReason::Permanent,
            detail: detail(),
        }
        .into(),
        MessageType::CapturePayment => CapturePayment {
            idempotency_key: k(),
            user_id: trip().user_id,
            payment_intent_id: "pi_1".into(),
            amount: usd(1),
        }
        .into(),
        MessageType::PaymentCaptured => PaymentCaptured {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
            amount: usd(40000),
        }
        .into(),
        MessageType::CaptureFailed => CaptureFailed {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
            detail: detail(),
        }
        .into(),
        MessageType::VoidHold => VoidHold {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
        }
        .into(),
        MessageType::HoldVoided => HoldVoided {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
        }
        .into(),
        MessageType::VoidFailed => VoidFailed {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
            detail: detail(),
            permanent: false,
        }
        .into(),
        MessageType::CancelOrder => CancelOrder {
            idempotency_key: k(),
            order_id: "ord_1".into(),
        }
        .into(),
        MessageType::OrderCancelled => OrderCancelled {
            idempotency_key: k(),
            order_id: "ord_1".into(),
            refund: None,
        }
        .into(),
        MessageType::CancelFailed => CancelFailed {
            idempotency_key: k(),
            order_id: "ord_1".into(),
            detail: detail(),
        }
        .into(),
        MessageType::SendNotification => SendNotification {
            idempotency_key: k(),
            to: trip().contact_email,
            content: notice(),
        }
        .into(),
        MessageType::NotificationSent => NotificationSent {
            idempotency_key: k(),
            email_id: "em_1".into(),
        }
        .into(),
        MessageType::NotificationFailed => NotificationFailed {
            idempotency_key: k(),
            detail: detail(),
        }
        .into(),
        MessageType::TimerFired => recheck_timer(k()).into(),
        MessageType::StepOutcomeUnknown => unknown(k(), Step::Order).into(),
        MessageType::RetryRequested => retry_request().into(),
        MessageType::AbortRequested => abort_request().into(),
        MessageType::StepDeferred => StepDeferred {
            idempotency_key: k(),
            step: Step::Authorize,
            reason: "kill_switch".into(),
        }
        .into(),
        MessageType::ResumeRequested => ResumeRequested {
            by: "flags_allow".into(),
        }
        .into(),
        MessageType::TripCancelRequested => TripCancelRequested {
            requested_by: "traveller".into(),
        }
        .into(),
        MessageType::RefundPayment => RefundPayment {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
            amount: usd(1),
        }
        .into(),
        MessageType::PaymentRefunded => PaymentRefunded {
            idempotency_key: k(),
            refund_id: "re_1".into(),
            amount: usd(1),
        }
        .into(),
        MessageType::RefundFailed => RefundFailed {
            idempotency_key: k(),
            payment_intent_id: "pi_1".into(),
            detail: detail(),
            permanent: false,
        }
        .into(),
        MessageType::PaymentIntentUpdated => intent_canceled("pi_1").into(),
    }
}

pub fn status(saga: &Saga) -> &'static str {
    saga.phase.status()
}
