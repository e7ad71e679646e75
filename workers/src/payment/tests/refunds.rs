//! Refunds: the key as header and metadata, and the look-up after an
//! unknown outcome or a takeover (the intent's refunds, listed).

use autobook_sandbox::{FaultScript, RefundFault};

use super::super::refund::{METADATA_KEY, made_under};
use super::*;
use crate::providers::Refund;

#[tokio::test]
async fn a_refund_carries_the_key_as_header_and_metadata() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    let payments = service(&sandbox, ALLOW);
    let reply = payments
        .perform(&trip.refund(&intent, 20_000), first())
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
        .perform(&trip.refund(&intent, 20_000), first())
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
        .perform(&trip.refund(&intent, 5_000), first())
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
async fn a_refund_refused_with_500s_before_any_effect_is_made_once_under_the_next_key() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    // Every try under the step's key fails with a 500 before any effect
    // (not stored under the key).
    sandbox.push_script(FaultScript {
        refunds: vec![RefundFault::ServerError; RETRIES + 1],
        ..FaultScript::default()
    });
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund(&intent, 5_000), first())
        .await
        .unwrap();
    // The list proved no refund was made, so the next key was safe.
    assert_eq!(refunded(&reply).amount, usd(5_000));
    let ledger = sandbox.ledger();
    assert_eq!(ledger.refunds.len(), 1);
    assert_eq!(
        ledger.refunds[0].metadata[METADATA_KEY],
        trip.key(Step::Refund).as_str()
    );

    // The saga asks again: the look-up finds it, nothing more is refunded.
    let again = service(&sandbox, ALLOW)
        .perform(&trip.refund(&intent, 5_000), takeover())
        .await
        .unwrap();
    assert_eq!(refunded(&again).refund_id, refunded(&reply).refund_id);
    assert_eq!(sandbox.ledger().refunds.len(), 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refund_of_an_intent_stripe_does_not_know_fails_for_good() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund("pi_3DoesNotExist000000000000", 5_000), first())
        .await
        .unwrap();
    match &reply.message {
        Message::RefundFailed(failed) => assert!(failed.permanent, "{reply:?}"),
        _ => panic!("{reply:?}"),
    }
    assert!(sandbox.ledger().refunds.is_empty());
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_takeover_finds_the_refund_an_earlier_attempt_made() {
    let sandbox = sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    let payments = service(&sandbox, ALLOW);
    let first = payments
        .perform(&trip.refund(&intent, 5_000), first())
        .await
        .unwrap();
    let taken_over = payments
        .perform(&trip.refund(&intent, 5_000), takeover())
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
    let hold_intent = held(&sandbox, &trip).await;
    // Nothing was captured: Stripe refuses the refund.
    let reply = service(&sandbox, ALLOW)
        .perform(&trip.refund(&hold_intent, 5_000), first())
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
