//! The payment worker against the sandbox: the flag gate in front of holds
//! and captures, and not in front of voids.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::{PaymentMethodId, UserId};
use autobook_contracts::commands::{AuthorizePayment, CapturePayment, VoidHold};
use autobook_contracts::{Currency, Envelope, IdempotencyKey, Message, Money, Step};
use autobook_flags::{DenyReason, FixedFlags, FlagDecision, FlagSource};
use autobook_sandbox::{Ledger, Ports, RunningSandbox, SandboxConfig};

use super::PaymentService;
use crate::providers::{ApiKey, Provider, ProviderConfig, StripeClient};
use crate::worker::gate::Deferral;
use crate::worker::retry::{Caller, RetryPolicy};
use crate::worker::throttle::Throttle;
use crate::worker::{Attempt, Failure, Service};

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
                retries: 2,
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
async fn voids_go_ahead_whatever_the_flags() {
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
    sandbox.shutdown().await;
}
