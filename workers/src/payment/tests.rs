//! The payment worker against the sandbox: the flag gate in front of holds
//! and captures (and not in front of voids and refunds), and refunds with
//! their look-up after an unknown outcome or a takeover.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::{PaymentMethodId, UserId};
use autobook_contracts::commands::{AuthorizePayment, CapturePayment, RefundPayment, VoidHold};
use autobook_contracts::events::{PaymentAuthorized, PaymentRefunded, StepOutcomeUnknown};
use autobook_contracts::stripe_webhook::SAGA_ID_METADATA;
use autobook_contracts::{Currency, Envelope, IdempotencyKey, Message, Money, Step};
use autobook_flags::{DenyReason, FixedFlags, FlagDecision, FlagSource};
use autobook_sandbox::{FaultScript, Ledger, Ports, RefundFault, RunningSandbox, SandboxConfig};

use super::PaymentService;
use super::refund::{METADATA_KEY, made_under};
use crate::providers::{ApiKey, Provider, ProviderConfig, Refund, StripeClient};
use crate::worker::gate::Deferral;
use crate::worker::retry::{Caller, RetryPolicy};
use crate::worker::throttle::Throttle;
use crate::worker::{Attempt, Failure, Reply, Service};

/// Retries after the first attempt, in these tests.
const RETRIES: usize = 2;

const ALLOW: FixedFlags = FixedFlags::Decision(FlagDecision::Allowed);
const KILL_SWITCH: FixedFlags = FixedFlags::Decision(FlagDecision::Denied(DenyReason::KillSwitch));

const TAKEOVER: Attempt = Attempt {
    look_up_first: true,
    fence: 2,
};

async fn sandbox() -> RunningSandbox {
    autobook_sandbox::start(SandboxConfig::default(), Ports::ephemeral())
        .await
        .expect("sandbox starts")
}

fn service(sandbox: &RunningSandbox, flags: impl FlagSource + 'static) -> PaymentService {
    let config = ProviderConfig::new(&sandbox.stripe_url, ApiKey::new("sk_test_sandbox"));
    PaymentService {
        stripe: StripeClient::new(config).expect("client"),
        caller: Caller {
            provider: Provider::Stripe,
            policy: RetryPolicy {
                retries: RETRIES,
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                rate_limited_rounds: 0,
            },
            throttle: Throttle::disabled(),
        },
        flags: Arc::new(flags),
    }
}

fn stripe_requests(ledger: &Ledger) -> u64 {
    ledger.traffic.get("stripe").map_or(0, |t| t.requests)
}

fn usd(cents: i64) -> Money {
    Money::new(cents, Currency::USD)
}

struct Trip {
    saga: Uuid,
}

impl Trip {
    fn new() -> Trip {
        Trip {
            saga: Uuid::now_v7(),
        }
    }

    fn key(&self, step: Step) -> IdempotencyKey {
        IdempotencyKey::derive(self.saga, step, 1)
    }

    fn envelope(&self, message: impl Into<Message>) -> Envelope {
        Envelope::new(self.saga, message)
    }

    fn authorize(&self) -> Envelope {
        self.envelope(AuthorizePayment {
            idempotency_key: self.key(Step::Authorize),
            user_id: UserId::parse("usr_42").unwrap(),
            amount: usd(35_130),
            payment_method: PaymentMethodId::parse("pm_card_visa").unwrap(),
            customer: None,
            description: "Flight JFK-LAX".into(),
        })
    }

    fn capture(&self, payment_intent_id: &str) -> Envelope {
        self.envelope(CapturePayment {
            idempotency_key: self.key(Step::Capture),
            user_id: UserId::parse("usr_42").unwrap(),
            payment_intent_id: payment_intent_id.into(),
            amount: usd(35_130),
        })
    }

    fn refund(&self, payment_intent_id: &str, cents: i64) -> Envelope {
        self.envelope(RefundPayment {
            idempotency_key: self.key(Step::Refund),
            payment_intent_id: payment_intent_id.into(),
            amount: usd(cents),
        })
    }
}

/// Holds and captures through the service; returns the intent id.
async fn captured(sandbox: &RunningSandbox, trip: &Trip) -> String {
    let payments = service(sandbox, ALLOW);
    let reply = payments
        .perform(&trip.authorize(), Attempt::FIRST)
        .await
        .unwrap();
    let Message::PaymentAuthorized(PaymentAuthorized {
        payment_intent_id, ..
    }) = reply.message
    else {
        panic!("{reply:?}");
    };
    let reply = payments
        .perform(&trip.capture(&payment_intent_id), Attempt::FIRST)
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentCaptured(_)),
        "{reply:?}"
    );
    payment_intent_id
}

fn refunded(reply: &Reply) -> &PaymentRefunded {
    match &reply.message {
        Message::PaymentRefunded(refunded) if !reply.outcome_unknown => refunded,
        _ => panic!("{reply:?}"),
    }
}

#[tokio::test]
async fn a_denied_hold_calls_stripe_not_at_all_and_goes_ahead_once_allowed() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let denied = service(&sandbox, KILL_SWITCH)
        .perform(&trip.authorize(), Attempt::FIRST)
        .await;
    assert_eq!(
        denied,
        Err(Failure::Deferred(Deferral {
            step: Step::Authorize,
            reason: DenyReason::KillSwitch
        }))
    );
    let ledger = sandbox.ledger();
    assert_eq!(stripe_requests(&ledger), 0);
    assert!(ledger.payment_intents.is_empty());

    // The same command again, as after a released claim.
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), TAKEOVER)
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentAuthorized(_)),
        "{reply:?}"
    );
    assert_eq!(sandbox.ledger().payment_intents.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_hold_names_its_saga_for_the_webhook_events() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), Attempt::FIRST)
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentAuthorized(_)),
        "{reply:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(
        ledger.payment_intents[0].metadata[SAGA_ID_METADATA],
        trip.saga.to_string()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn unreadable_flags_defer_a_capture_and_leave_the_hold_alone() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), Attempt::FIRST)
        .await
        .unwrap();
    let Message::PaymentAuthorized(held) = reply.message else {
        panic!("{reply:?}");
    };
    let before = stripe_requests(&sandbox.ledger());
    let denied = service(&sandbox, FixedFlags::Unreadable)
        .perform(&trip.capture(&held.payment_intent_id), Attempt::FIRST)
        .await;
    assert_eq!(
        denied,
        Err(Failure::Deferred(Deferral {
            step: Step::Capture,
            reason: DenyReason::Unavailable
        }))
    );
    let ledger = sandbox.ledger();
    assert_eq!(stripe_requests(&ledger), before, "no call was made");
    assert_eq!(ledger.payment_intents[0].status, "requires_capture");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_reports_a_hold_already_placed_even_while_denied() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let first = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), Attempt::FIRST)
        .await
        .unwrap();
    let again = service(&sandbox, KILL_SWITCH)
        .perform(&trip.authorize(), TAKEOVER)
        .await
        .unwrap();
    assert_eq!(again, first, "the look-up finds the hold; nothing moves");
    assert_eq!(sandbox.ledger().payment_intents.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn voids_and_refunds_go_ahead_whatever_the_flags() {
    let sandbox = sandbox().await;
    let held = Trip::new();
    let reply = service(&sandbox, ALLOW)
        .perform(&held.authorize(), Attempt::FIRST)
        .await
        .unwrap();
    let Message::PaymentAuthorized(hold) = reply.message else {
        panic!("{reply:?}");
    };
    let void = held.envelope(VoidHold {
        idempotency_key: held.key(Step::Void),
        payment_intent_id: hold.payment_intent_id.clone(),
    });
    let reply = service(&sandbox, KILL_SWITCH)
        .perform(&void, Attempt::FIRST)
        .await
        .unwrap();
    assert!(matches!(reply.message, Message::HoldVoided(_)), "{reply:?}");

    let paid = Trip::new();
    let intent = captured(&sandbox, &paid).await;
    let reply = service(&sandbox, FixedFlags::Unreadable)
        .perform(&paid.refund(&intent, 10_000), Attempt::FIRST)
        .await
        .unwrap();
    assert_eq!(refunded(&reply).amount, usd(10_000));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refund_carries_the_key_as_header_and_metadata() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    let payments = service(&sandbox, ALLOW);
    let reply = payments
        .perform(&trip.refund(&intent, 20_000), Attempt::FIRST)
        .await
        .unwrap();
    let made = refunded(&reply).clone();
    assert!(made.refund_id.starts_with("re_"), "{made:?}");
    assert_eq!(made.amount, usd(20_000));
    assert_eq!(made.idempotency_key, trip.key(Step::Refund));
    let ledger = sandbox.ledger();
    assert_eq!(ledger.refunds.len(), 1);
    assert_eq!(
        ledger.refunds[0].metadata[METADATA_KEY],
        trip.key(Step::Refund).as_str()
    );
    assert_eq!(ledger.payment_intents[0].amount_refunded, 20_000);

    // A duplicate reaching Stripe under the same key is answered from
    // Stripe's idempotency store: the same refund, nothing more refunded.
    let again = payments
        .perform(&trip.refund(&intent, 20_000), Attempt::FIRST)
        .await
        .unwrap();
    assert_eq!(refunded(&again).refund_id, made.refund_id);
    assert_eq!(sandbox.ledger().refunds.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn an_unknown_refund_outcome_is_settled_by_listing_the_refunds() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    // Refunded, then a 500 that Stripe keeps under the key: every retry
    // gets the 500 again, and only the list tells.
    sandbox.push_script(FaultScript {
        refunds: vec![RefundFault::ServerErrorAfterEffect],
        ..FaultScript::default()
    });
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund(&intent, 5_000), Attempt::FIRST)
        .await
        .unwrap();
    let found = refunded(&reply);
    let ledger = sandbox.ledger();
    assert_eq!(ledger.refunds.len(), 1);
    assert_eq!(found.refund_id, ledger.refunds[0].id);
    assert_eq!(ledger.payment_intents[0].amount_refunded, 5_000);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refund_still_unknown_after_the_look_up_says_so_and_a_takeover_makes_it() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    // Every attempt of the call fails with a 500 before any effect.
    sandbox.push_script(FaultScript {
        refunds: vec![RefundFault::ServerError; RETRIES + 1],
        ..FaultScript::default()
    });
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund(&intent, 5_000), Attempt::FIRST)
        .await
        .unwrap();
    assert!(reply.outcome_unknown, "{reply:?}");
    let Message::StepOutcomeUnknown(StepOutcomeUnknown { step, .. }) = reply.message else {
        panic!("{reply:?}");
    };
    assert_eq!(step, Step::Refund);
    assert!(sandbox.ledger().refunds.is_empty());

    // The saga asks again: the look-up finds nothing, so the refund is made.
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund(&intent, 5_000), TAKEOVER)
        .await
        .unwrap();
    assert_eq!(refunded(&reply).amount, usd(5_000));
    assert_eq!(sandbox.ledger().refunds.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_finds_the_refund_an_earlier_attempt_made() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    let payments = service(&sandbox, ALLOW);
    let first = payments
        .perform(&trip.refund(&intent, 5_000), Attempt::FIRST)
        .await
        .unwrap();
    let taken_over = payments
        .perform(&trip.refund(&intent, 5_000), TAKEOVER)
        .await
        .unwrap();
    assert_eq!(taken_over, first);
    let ledger = sandbox.ledger();
    assert_eq!(ledger.refunds.len(), 1, "not refunded twice");
    assert_eq!(ledger.payment_intents[0].amount_refunded, 5_000);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_refund_fails_and_may_be_tried_again() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.authorize(), Attempt::FIRST)
        .await
        .unwrap();
    let Message::PaymentAuthorized(hold) = reply.message else {
        panic!("{reply:?}");
    };
    // Nothing was captured: Stripe refuses the refund.
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund(&hold.payment_intent_id, 5_000), Attempt::FIRST)
        .await
        .unwrap();
    assert!(reply.outcome_unknown, "a failed compensation is retried");
    assert!(
        matches!(reply.message, Message::RefundFailed(_)),
        "{reply:?}"
    );
    assert!(sandbox.ledger().refunds.is_empty());
    sandbox.shutdown().await;
}

fn refund(id: &str, status: &str, key: Option<&str>) -> Refund {
    Refund {
        id: id.into(),
        amount: usd(100),
        status: status.into(),
        payment_intent: Some("pi_1".into()),
        metadata: key
            .map(|k| [(METADATA_KEY.to_owned(), k.to_owned())].into())
            .unwrap_or_default(),
        created: 0,
    }
}

#[test]
fn only_a_refund_made_under_the_key_that_went_through_counts() {
    let refunds = vec![
        refund("re_other", "succeeded", Some("k2")),
        refund("re_failed", "failed", Some("k1")),
        refund("re_none", "succeeded", None),
        refund("re_pending", "pending", Some("k1")),
        refund("re_older", "succeeded", Some("k1")),
    ];
    assert_eq!(
        made_under(refunds.clone(), "k1").map(|r| r.id),
        Some("re_pending".to_owned())
    );
    assert_eq!(made_under(refunds, "k3"), None);
    assert_eq!(
        made_under(vec![refund("re_canceled", "canceled", Some("k1"))], "k1"),
        None
    );
}
