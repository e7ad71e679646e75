//! The order worker against the sandbox: creating an order is gated by
//! the flags, cancelling one is not.

use std::sync::Arc;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_contracts::commands::{CancelOrder, CreateOrder};
use autobook_contracts::{Currency, Envelope, IdempotencyKey, Message, Money, Step};
use autobook_flags::{DenyReason, FixedFlags, FlagDecision, FlagSource};
use autobook_sandbox::{Ledger, Ports, RunningSandbox, SandboxConfig};

use super::OrderService;
use crate::providers::{ApiKey, DuffelClient, Provider, ProviderConfig};
use crate::worker::gate::Deferral;
use crate::worker::retry::{Caller, RetryPolicy};
use crate::worker::throttle::Throttle;
use crate::worker::{Attempt, Failure, Service};

async fn sandbox() -> RunningSandbox {
    autobook_sandbox::start(SandboxConfig::default(), Ports::ephemeral())
        .await
        .expect("sandbox starts")
}

fn service(sandbox: &RunningSandbox, flags: impl FlagSource + 'static) -> OrderService {
    let config = ProviderConfig::new(&sandbox.duffel_url, ApiKey::new("duffel_test_sandbox"));
    OrderService {
        duffel: DuffelClient::new(config).expect("client"),
        caller: Caller {
            provider: Provider::Duffel,
            policy: RetryPolicy {
                retries: 1,
                min_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(5),
                rate_limited_rounds: 0,
            },
            throttle: Throttle::disabled(),
        },
        lookup_pages: 2,
        flags: Arc::new(flags),
    }
}

fn duffel_requests(ledger: &Ledger) -> u64 {
    ledger.traffic.get("duffel").map_or(0, |t| t.requests)
}

#[tokio::test]
async fn a_denied_order_is_deferred_without_calling_the_airline() {
    let sandbox = sandbox().await;
    let saga = Uuid::now_v7();
    let create = Envelope::new(
        saga,
        CreateOrder {
            idempotency_key: IdempotencyKey::derive(saga, Step::Order, 1),
            user_id: UserId::parse("usr_7").unwrap(),
            offer_id: "off_0000AEdGRhtp5AUUdJqMxo".into(),
            amount: Money::new(35_130, Currency::USD),
            passengers: vec![],
            identity_documents_required: false,
        },
    );
    let disabled = FixedFlags::Decision(FlagDecision::Denied(DenyReason::PipelineDisabled));
    let denied = service(&sandbox, disabled)
        .perform(&create, Attempt::FIRST)
        .await;
    assert_eq!(
        denied,
        Err(Failure::Deferred(Deferral {
            step: Step::Order,
            reason: DenyReason::PipelineDisabled
        }))
    );
    let ledger = sandbox.ledger();
    assert_eq!(duffel_requests(&ledger), 0);
    assert!(ledger.orders.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_cancellation_goes_to_the_airline_whatever_the_flags() {
    let sandbox = sandbox().await;
    let saga = Uuid::now_v7();
    let cancel = Envelope::new(
        saga,
        CancelOrder {
            idempotency_key: IdempotencyKey::derive(saga, Step::Cancel, 1),
            order_id: "ord_0000AEdGRhtp5AUUdJqMxo".into(),
        },
    );
    let reply = service(&sandbox, FixedFlags::Unreadable)
        .perform(&cancel, Attempt::FIRST)
        .await
        .unwrap();
    // No such order: the airline was asked and said so.
    assert!(
        matches!(reply.message, Message::CancelFailed(_)),
        "{reply:?}"
    );
    assert!(duffel_requests(&sandbox.ledger()) > 0);
    sandbox.shutdown().await;
}
