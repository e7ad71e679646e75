//! The Stripe client against the sandbox: a payment intent's refunds,
//! listed page by page with their metadata.

use std::collections::BTreeMap;

use autobook_contracts::{Currency, Money};
use autobook_sandbox::{Ports, RunningSandbox, SandboxConfig};

use super::client::StripeClient;
use super::model::{NewPaymentIntent, NewRefund, PaymentIntentStatus};
use crate::providers::config::{ApiKey, ProviderConfig};
use crate::providers::error::ErrorClass;

async fn sandbox_and_client() -> (RunningSandbox, StripeClient) {
    let sandbox = autobook_sandbox::start(SandboxConfig::default(), Ports::ephemeral())
        .await
        .expect("sandbox starts");
    let config = ProviderConfig::new(&sandbox.stripe_url, ApiKey::new("sk_test_sandbox"));
    let client = StripeClient::new(config).expect("client");
    (sandbox, client)
}

/// A PaymentIntent of `cents`, held and captured; its id.
async fn captured(stripe: &StripeClient, cents: i64, key: &str) -> String {
    let intent = NewPaymentIntent {
        amount: Money::new(cents, Currency::USD),
        payment_method: "pm_card_visa".into(),
        customer: None,
        description: "Flight JFK-LAX".into(),
        metadata: BTreeMap::new(),
    };
    let created = stripe.create_payment_intent(&intent, key).await.unwrap();
    let held = stripe
        .confirm_payment_intent(&created.id, &format!("{key}:confirm"))
        .await
        .unwrap();
    assert_eq!(held.status, PaymentIntentStatus::RequiresCapture);
    let captured = stripe
        .capture_payment_intent(&held.id, None, &format!("{key}:capture"))
        .await
        .unwrap();
    assert_eq!(captured.status, PaymentIntentStatus::Succeeded);
    captured.id
}

fn one_cent(payment_intent: &str, n: usize) -> NewRefund {
    NewRefund {
        payment_intent: payment_intent.to_owned(),
        amount: Some(Money::new(1, Currency::USD)),
        reason: None,
        metadata: BTreeMap::from([("idempotency_key".to_owned(), format!("refund:{n}"))]),
    }
}

#[tokio::test]
async fn refunds_are_listed_across_pages_newest_first_with_their_metadata() {
    let (sandbox, stripe) = sandbox_and_client().await;
    let intent = captured(&stripe, 10_000, "pay-1").await;
    let other = captured(&stripe, 500, "pay-2").await;
    stripe
        .create_refund(&one_cent(&other, 999), "other-refund")
        .await
        .unwrap();
    assert!(stripe.list_refunds(&intent).await.unwrap().is_empty());
    // One more than a page holds.
    for n in 0..101 {
        stripe
            .create_refund(&one_cent(&intent, n), &format!("refund-{n}"))
            .await
            .unwrap();
    }
    let listed = stripe.list_refunds(&intent).await.unwrap();
    let keys: Vec<&str> = listed
        .iter()
        .map(|r| r.metadata["idempotency_key"].as_str())
        .collect();
    let expected: Vec<String> = (0..101).rev().map(|n| format!("refund:{n}")).collect();
    assert_eq!(keys, expected);
    assert!(
        listed
            .iter()
            .all(|r| r.payment_intent.as_deref() == Some(intent.as_str())
                && r.status == "succeeded"
                && r.amount == Money::new(1, Currency::USD))
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn listing_the_refunds_of_an_unknown_intent_is_refused() {
    let (sandbox, stripe) = sandbox_and_client().await;
    let error = stripe.list_refunds("pi_missing").await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::Permanent, "{error}");
    let error = stripe.list_refunds("pi_1&limit=1").await.unwrap_err();
    assert_eq!(error.class(), ErrorClass::Permanent, "{error}");
    sandbox.shutdown().await;
}
