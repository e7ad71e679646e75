//! Replies answer our commands: a reply with the pending step's key but a
//! cause that is not one of the saga's commands for that step is
//! dead-lettered and changes nothing, while every genuine answer is taken,
//! whichever of the step's commands it answers: the first one, a re-send
//! past the deadline (the worker replays the answer it stored for the
//! first), or a re-check after an unknown outcome.

use std::collections::HashMap;
use std::time::Duration;

use uuid::Uuid;

use autobook_contracts::events::{PaymentAuthorized, PaymentDeclined};
use autobook_contracts::senders::Identity;
use autobook_contracts::{Currency, Envelope, Message, MessageType, Money, QueueRole};
use autobook_orchestrator::saga::{Phase, StepDeadlines};
use autobook_orchestrator::store::SagaRow;
use autobook_sandbox::Faults;
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn_with};
use autobook_workers::WorkerKind;

/// Booked, with one hold captured and one order.
fn booked_once(system: &TestSystem, row: &SagaRow) {
    assert!(
        matches!(row.saga.phase, Phase::Booked { .. }),
        "{:?}",
        row.saga.phase
    );
    let ledger = system.ledger();
    let [intent] = ledger.payment_intents.as_slice() else {
        panic!("one hold: {:?}", ledger.payment_intents)
    };
    assert!(intent.amount_received > 0, "{intent:?}");
    assert_eq!(ledger.orders.len(), 1, "{:?}", ledger.orders);
}

/// The commands of one type the saga sent, oldest first.
async fn sent(system: &TestSystem, id: Uuid, message_type: MessageType) -> Vec<Envelope> {
    system
        .commands(id)
        .await
        .into_iter()
        .filter(|command| command.message_type() == message_type)
        .collect()
}

async fn in_inbox(system: &TestSystem, message_id: Uuid) -> bool {
    autobook_orchestrator::testing::inbox::holds(&system.stack().pool, message_id)
        .await
        .unwrap()
}

#[tokio::test]
async fn forged_answers_to_a_pending_hold_are_dead_lettered_and_the_trip_books() {
    // No payment worker yet: the thief is the only consumer of the hold's
    // command, so the saga waits in `authorizing` while the forgeries
    // arrive.
    let system = spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Order, WorkerKind::Notify];
    })
    .await;
    let mut thief = system
        .steal_first(QueueRole::Payment, MessageType::AuthorizePayment)
        .await;
    let id = system.submit(trip()).await;
    let authorize = thief.stolen(Duration::from_secs(60)).await;
    let before = system.saga(id).await.unwrap();
    assert_eq!(before.status, "authorizing");
    let key = authorize.message.idempotency_key().unwrap().clone();
    let [search] = sent(&system, id, MessageType::SearchOffers)
        .await
        .try_into()
        .unwrap();

    let forged = |message: Message, cause: Option<Uuid>| Envelope {
        causation_id: cause,
        ..Envelope::new(id, message)
    };
    let declined = || -> Message {
        PaymentDeclined {
            idempotency_key: key.clone(),
            payment_intent_id: None,
            decline_code: Some("insufficient_funds".into()),
            detail: "forged".into(),
        }
        .into()
    };
    let invented = "pi_3Invented00000000000000";
    let authorized = || -> Message {
        PaymentAuthorized {
            idempotency_key: key.clone(),
            payment_intent_id: invented.into(),
            amount: Money::new(31_337, Currency::USD),
        }
        .into()
    };
    let guessed = Uuid::now_v7();
    let forgeries = [
        (forged(declined(), None), "unknown_cause"),
        (forged(declined(), Some(guessed)), "unknown_cause"),
        (forged(authorized(), Some(guessed)), "unknown_cause"),
        (forged(authorized(), Some(id)), "unknown_cause"),
        // A real command of the saga, but of another step.
        (
            forged(declined(), Some(search.message_id)),
            "mismatched_cause",
        ),
        (
            forged(authorized(), Some(search.message_id)),
            "mismatched_cause",
        ),
    ];
    // Sent as the payment worker, signed: a leaked credential and key
    // still cannot answer for a command the saga did not send.
    let payment = system.publisher_as(Identity::Payment).await;
    let mut expected = HashMap::new();
    for (envelope, code) in &forgeries {
        payment.publish(envelope).await.unwrap();
        expected.insert(envelope.message_id, *code);
    }
    for _ in 0..forgeries.len() {
        let dead = system.dead_letter(QueueRole::Orchestrator).await;
        let envelope = Envelope::decode(&dead.body).unwrap();
        let code = expected
            .remove(&envelope.message_id)
            .expect("a forgery, dead-lettered once");
        assert_eq!(dead.code, code, "{}", dead.reason);
        for value in [
            invented.to_owned(),
            key.to_string(),
            guessed.to_string(),
            search.message_id.to_string(),
        ] {
            assert!(!dead.reason.contains(&value), "{}", dead.reason);
        }
    }
    let after = system.saga(id).await.unwrap();
    assert_eq!(
        after.version, before.version,
        "the forgeries changed nothing"
    );
    assert_eq!(after.saga, before.saga);
    for (envelope, _) in &forgeries {
        assert!(!in_inbox(&system, envelope.message_id).await);
    }
    assert!(system.ledger().payment_intents.is_empty(), "no hold yet");

    // The real command goes through, as the relay sending it again would.
    let _payment = system.stack().start_workers(&[WorkerKind::Payment]);
    system.stack().publisher.publish(&authorize).await.unwrap();
    let row = system.finished(id).await;
    booked_once(&system, &row);
    let ledger = system.ledger();
    assert!(ledger.payment_intents.iter().all(|i| i.id != invented));
    system.teardown().await;
}

#[tokio::test]
async fn a_stored_answer_replayed_after_a_re_send_past_the_deadline_is_taken() {
    let system = spawn_with(|config| {
        config.orchestrator.policy.step_deadlines = StepDeadlines::uniform(Duration::from_secs(2));
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50, 100]);
    })
    .await;
    let mut thief = system
        .steal_first(QueueRole::Orchestrator, MessageType::PaymentAuthorized)
        .await;
    let id = system.submit(trip()).await;
    let lost = thief.stolen(Duration::from_secs(60)).await;
    let row = system.finished(id).await;
    booked_once(&system, &row);
    let authorizes = sent(&system, id, MessageType::AuthorizePayment).await;
    assert!(authorizes.len() >= 2, "sent again: {authorizes:?}");
    assert_eq!(
        lost.causation_id,
        Some(authorizes[0].message_id),
        "the stored answer names the first command"
    );
    assert!(
        in_inbox(&system, lost.message_id).await,
        "the replayed answer (same message id) was taken"
    );
    system.teardown().await;
}

#[tokio::test]
async fn the_answers_to_a_step_and_to_its_re_check_are_both_taken() {
    let system = spawn_with(|config| {
        config.orchestrator.policy.step_deadlines = StepDeadlines::uniform(Duration::from_secs(30));
        config.topology = config.topology.clone().with_retry_delays_ms(vec![50]);
        config.provider_timeout = Duration::from_millis(300);
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Payment, WorkerKind::Notify];
    })
    .await;
    let mut authorized = system.observe(&["payment.authorized"]).await;
    let id = system.submit(trip()).await;
    let event = authorized
        .next(Duration::from_secs(30))
        .await
        .expect("the hold is placed");
    system.handled(event.message_id).await;
    // Duffel answers too late for every try of the order and its look-up.
    let slow = |on: bool| {
        system.stack().sandbox.set_faults(Faults {
            latency_ms: if on { (800, 800) } else { (0, 0) },
            ..Faults::default()
        })
    };
    slow(true);
    let mut answers = system
        .observe(&["step.outcome_unknown", "order.created"])
        .await;
    let _order = system.stack().start_workers(&[WorkerKind::Order]);
    let unknown = answers
        .next(Duration::from_secs(30))
        .await
        .expect("the worker gave up and said so");
    assert_eq!(unknown.message_type(), MessageType::StepOutcomeUnknown);
    system.handled(unknown.message_id).await;
    slow(false);
    let row = system.finished(id).await;
    booked_once(&system, &row);
    let created = answers
        .next(Duration::from_secs(15))
        .await
        .expect("the re-check is answered");
    assert_eq!(created.message_type(), MessageType::OrderCreated);
    let orders = sent(&system, id, MessageType::CreateOrder).await;
    assert_eq!(unknown.causation_id, Some(orders[0].message_id));
    let recheck = orders[1..]
        .iter()
        .find(|command| Some(command.message_id) == created.causation_id);
    assert!(
        recheck.is_some(),
        "the order answers a re-check: {:?} among {orders:?}",
        created.causation_id
    );
    assert!(in_inbox(&system, created.message_id).await);
    system.teardown().await;
}
