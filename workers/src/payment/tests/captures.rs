//! Captures and releases of a held intent: the flag gate in front of
//! captures only; lost answers settled by retrieving the intent; an
//! intent Stripe does not know is a permanent answer.

use autobook_sandbox::{CaptureFault, FaultScript};

use super::*;
use crate::worker::Failure;
use crate::worker::gate::Deferral;

#[tokio::test]
async fn unreadable_flags_defer_a_capture_and_leave_the_hold_alone() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let held_intent = held(&sandbox, &trip).await;
    let before = stripe_requests(&sandbox.ledger());
    let denied = service(&sandbox, FixedFlags::Unreadable)
        .perform(&trip.capture(&held_intent), first())
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
async fn voids_and_refunds_go_ahead_whatever_the_flags() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let hold_intent = held(&sandbox, &trip).await;
    let reply = service(&sandbox, KILL_SWITCH)
        .perform(&trip.void(&hold_intent), first())
        .await
        .unwrap();
    assert!(matches!(reply.message, Message::HoldVoided(_)), "{reply:?}");

    let paid = Trip::new();
    let intent = captured(&sandbox, &paid).await;
    let reply = service(&sandbox, FixedFlags::Unreadable)
        .perform(&paid.refund(&intent, 10_000), first())
        .await
        .unwrap();
    assert_eq!(refunded(&reply).amount, usd(10_000));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_capture_of_an_intent_stripe_does_not_know_fails_at_once() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    for attempt in [first(), takeover()] {
        let reply = service(&sandbox, ALLOW)
            .perform(&trip.capture("pi_3DoesNotExist000000000000"), attempt)
            .await
            .unwrap();
        assert!(
            matches!(reply.message, Message::CaptureFailed(_)) && !reply.outcome_unknown,
            "{reply:?}"
        );
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_release_of_an_intent_stripe_does_not_know_fails_for_good() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    for attempt in [first(), takeover()] {
        let reply = service(&sandbox, ALLOW)
            .perform(&trip.void("pi_3DoesNotExist000000000000"), attempt)
            .await
            .unwrap();
        match &reply.message {
            Message::VoidFailed(failed) => assert!(failed.permanent, "{reply:?}"),
            _ => panic!("{reply:?}"),
        }
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_capture_whose_answer_is_lost_is_settled_under_the_same_key_once() {
    let mut config = SandboxConfig::default();
    config.faults.timeout_delay = Duration::from_millis(600);
    let sandbox = autobook_sandbox::start(config, Ports::ephemeral())
        .await
        .expect("sandbox starts");
    let trip = Trip::new();
    let intent = held(&sandbox, &trip).await;
    sandbox.push_script(FaultScript {
        captures: vec![CaptureFault::TimeoutAfterEffect],
        ..FaultScript::default()
    });
    let mut payments = service(&sandbox, ALLOW);
    let mut config = ProviderConfig::new(&sandbox.stripe_url, ApiKey::new("sk_test_sandbox"));
    config.timeout = Duration::from_millis(200);
    payments.stripe = StripeClient::new(config).unwrap();
    let reply = payments
        .perform(&trip.capture(&intent), first())
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentCaptured(_)),
        "{reply:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(ledger.payment_intents.len(), 1);
    assert_eq!(ledger.payment_intents[0].amount_received, 35_130);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_of_a_capture_reads_the_intent_first() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    let requests = stripe_requests(&sandbox.ledger());
    let reply = service(&sandbox, KILL_SWITCH)
        .perform(&trip.capture(&intent), takeover())
        .await
        .unwrap();
    assert!(
        matches!(reply.message, Message::PaymentCaptured(_)),
        "captured before, even while denied now: {reply:?}"
    );
    assert_eq!(stripe_requests(&sandbox.ledger()), requests + 1, "one read");
    sandbox.shutdown().await;
}
