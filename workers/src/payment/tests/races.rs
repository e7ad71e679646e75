//! Two handlers racing the same step (a redelivery taken over while the
//! first still runs): Stripe's idempotency keys and the intent itself
//! keep it to one effect.

use super::*;
use crate::worker::Failure;

/// What the racers answered: the replies of those that finished (one may
/// have met the other's request in flight until its retries ran out, and
/// is left to the broker's retry), then the answer of that later retry.
async fn race(sandbox: &RunningSandbox, command: &Envelope) -> Vec<Message> {
    let (a, b) = (service(sandbox, ALLOW), service(sandbox, ALLOW));
    let (one, two) = tokio::join!(a.perform(command, first()), b.perform(command, takeover()));
    let mut answers = Vec::new();
    for result in [one, two] {
        match result {
            Ok(reply) => answers.push(reply.message),
            Err(Failure::Unresolved { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    let later = service(sandbox, ALLOW)
        .perform(command, takeover())
        .await
        .unwrap();
    answers.push(later.message);
    answers
}

fn all_the_same(answers: &[Message]) -> &Message {
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    &answers[0]
}

/// A sandbox slow enough that two concurrent calls overlap.
async fn slow_sandbox() -> RunningSandbox {
    let mut config = SandboxConfig::default();
    config.faults.latency_ms = (30, 60);
    autobook_sandbox::start(config, Ports::ephemeral())
        .await
        .expect("sandbox starts")
}

#[tokio::test]
async fn two_holds_racing_place_one() {
    let sandbox = slow_sandbox().await;
    let trip = Trip::new();
    let answers = race(&sandbox, &trip.authorize()).await;
    assert!(
        matches!(all_the_same(&answers), Message::PaymentAuthorized(_)),
        "{answers:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(
        ledger.payment_intents.len(),
        1,
        "{:?}",
        ledger.payment_intents
    );
    assert_eq!(ledger.payment_intents[0].status, "requires_capture");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn two_captures_racing_take_the_money_once() {
    let sandbox = slow_sandbox().await;
    let trip = Trip::new();
    let intent = held(&sandbox, &trip).await;
    let answers = race(&sandbox, &trip.capture(&intent)).await;
    assert!(
        matches!(all_the_same(&answers), Message::PaymentCaptured(_)),
        "{answers:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(ledger.payment_intents[0].amount_received, 35_130);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn two_releases_racing_release_once() {
    let sandbox = slow_sandbox().await;
    let trip = Trip::new();
    let intent = held(&sandbox, &trip).await;
    let answers = race(&sandbox, &trip.void(&intent)).await;
    assert!(
        matches!(all_the_same(&answers), Message::HoldVoided(_)),
        "{answers:?}"
    );
    assert_eq!(sandbox.ledger().payment_intents[0].status, "canceled");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn two_refunds_racing_refund_once() {
    let sandbox = slow_sandbox().await;
    let trip = Trip::new();
    let intent = captured(&sandbox, &trip).await;
    let answers = race(&sandbox, &trip.refund(&intent, 12_000)).await;
    assert!(
        matches!(all_the_same(&answers), Message::PaymentRefunded(_)),
        "{answers:?}"
    );
    let ledger = sandbox.ledger();
    assert_eq!(ledger.refunds.len(), 1, "{:?}", ledger.refunds);
    assert_eq!(ledger.payment_intents[0].amount_refunded, 12_000);
    sandbox.shutdown().await;
}
