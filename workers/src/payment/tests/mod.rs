//! The payment worker against the sandbox: holds ([`holds`]), captures
//! and releases ([`captures`]), refunds ([`refunds`]), and the flag gate
//! in front of holds and captures (not of voids and refunds).

mod captures;
mod holds;
mod races;
mod refunds;

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::{PaymentMethodId, UserId};
use autobook_contracts::commands::{AuthorizePayment, CapturePayment, RefundPayment, VoidHold};
use autobook_contracts::events::{PaymentAuthorized, PaymentRefunded};
use autobook_contracts::{Currency, Envelope, IdempotencyKey, Message, Money, Step};
use autobook_flags::{DenyReason, FixedFlags, FlagDecision, FlagSource};
use autobook_sandbox::{Ledger, Ports, RunningSandbox, SandboxConfig};

use super::PaymentService;
use crate::providers::{ApiKey, Provider, ProviderConfig, StripeClient};
use crate::worker::attempt::MemoryLog;
use crate::worker::retry::{Caller, RetryPolicy};
use crate::worker::{Attempt, Reply, Service};
use autobook_throttle::Throttle;

/// Retries after the first attempt, in these tests.
const RETRIES: usize = 2;

const ALLOW: FixedFlags = FixedFlags::Decision(FlagDecision::Allowed);
const KILL_SWITCH: FixedFlags = FixedFlags::Decision(FlagDecision::Denied(DenyReason::KillSwitch));

/// A takeover of a call that recorded nothing (the earlier attempt died
/// before it could), first claimed a minute ago.
fn takeover() -> Attempt {
    Arc::new(MemoryLog::default()).takeover(chrono::Utc::now() - chrono::Duration::minutes(1))
}

/// A first attempt with a log of its own.
fn first() -> Attempt {
    MemoryLog::fresh()
}

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
    let reply = payments.perform(&trip.authorize(), first()).await.unwrap();
    let Message::PaymentAuthorized(PaymentAuthorized {
        payment_intent_id, ..
    }) = reply.message
    else {
        panic!("{reply:?}");
    };
    let reply = payments
        .perform(&trip.capture(&payment_intent_id), first())
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

impl Trip {
    fn authorize_with(&self, payment_method: &str) -> Envelope {
        let mut envelope = self.authorize();
        if let Message::AuthorizePayment(c) = &mut envelope.message {
            c.payment_method = PaymentMethodId::parse(payment_method).unwrap();
        }
        envelope
    }

    fn void(&self, payment_intent_id: &str) -> Envelope {
        self.envelope(VoidHold {
            idempotency_key: self.key(Step::Void),
            payment_intent_id: payment_intent_id.into(),
        })
    }
}

/// Holds through the service; returns the intent id.
async fn held(sandbox: &RunningSandbox, trip: &Trip) -> String {
    let reply = service(sandbox, ALLOW)
        .perform(&trip.authorize(), first())
        .await
        .unwrap();
    match reply.message {
        Message::PaymentAuthorized(PaymentAuthorized {
            payment_intent_id, ..
        }) => payment_intent_id,
        _ => panic!("{reply:?}"),
    }
}
