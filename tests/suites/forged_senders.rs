//! A hostile publisher on the broker. With the notify worker's credentials
//! (and, worse, with the message keys too), with the orchestrator's
//! credentials but no key, and with a wrong password, it tries every
//! forgery that moved money before: a decline and an authorization for a
//! saga waiting on its hold, a refund command, a hold put straight onto the
//! payment queue, a claim to be the orchestrator passing a message on,
//! unsigned and badly signed commands, a spoofed `user_id`. Each one is
//! refused (dead-lettered `forbidden_sender`, `unsigned` or `bad_signature`,
//! or refused by RabbitMQ itself); Stripe is never called, the saga does not
//! move, and the trip, given its real command back, books. A forgery an
//! operator replays from the dead-letter archive is refused again, and
//! where topic permissions are set RabbitMQ refuses a reply type from the
//! wrong worker before any consumer sees it.

use std::time::Duration;

use lapin::BasicProperties;
use uuid::Uuid;

use autobook_broker::admission::stamp;
use autobook_broker::{BrokerAccess, Password};
use autobook_contracts::commands::RefundPayment;
use autobook_contracts::events::{NotificationSent, PaymentAuthorized, PaymentDeclined};
use autobook_contracts::permissions::topic_permissions;
use autobook_contracts::senders::Identity;
use autobook_contracts::{Envelope, IdempotencyKey, Message, MessageType, QueueRole, Step};
use autobook_ops::dlq::{self, ReplayOutcome, Selection};
use autobook_sandbox::Ledger;
use autobook_tests::broker::DeadLetter;
use autobook_tests::forger::{Hostile, Signed, rabbitmqctl};
use autobook_tests::trips::trip;
use autobook_tests::{TestSystem, spawn_with};
use autobook_workers::WorkerKind;

fn stripe_requests(ledger: &Ledger) -> u64 {
    ledger.traffic.get("stripe").map_or(0, |t| t.requests)
}

/// The next `n` dead letters of `role`'s queue, keyed by message id.
async fn dead_letters(system: &TestSystem, role: QueueRole, n: usize) -> Vec<(Uuid, DeadLetter)> {
    let mut letters = Vec::new();
    for _ in 0..n {
        let letter = system.dead_letter(role).await;
        let id = Envelope::decode(&letter.body)
            .map(|e| e.message_id)
            .expect("every forgery is a well-formed envelope");
        letters.push((id, letter));
    }
    letters
}

fn code_of(letters: &[(Uuid, DeadLetter)], envelope: &Envelope) -> String {
    let (_, letter) = letters
        .iter()
        .find(|(id, _)| *id == envelope.message_id)
        .unwrap_or_else(|| panic!("{} was not dead-lettered", envelope.message_type()));
    // Reasons name roles and types, never what the forgery carried.
    for quoted in ["pi_forged", "forged decline", &envelope.saga_id.to_string()] {
        assert!(
            !letter.reason.contains(quoted),
            "reason quotes the body: {}",
            letter.reason
        );
    }
    letter.code.clone()
}

/// A copy of `command` for another saga, with a fresh message id.
fn for_saga(command: &Envelope, saga_id: Uuid, step: Step) -> Envelope {
    let mut forged = command.clone();
    forged.message_id = Uuid::now_v7();
    forged.saga_id = saga_id;
    if let Message::AuthorizePayment(authorize) = &mut forged.message {
        authorize.idempotency_key = IdempotencyKey::derive(saga_id, step, 1);
    }
    forged
}

/// A system without payment workers (and with the dead-letter archive
/// when `archive`), and a saga waiting on its hold: its command was taken
/// off the queue before any payment worker could see it.
async fn waiting_on_a_hold(archive: bool) -> (TestSystem, Uuid, Envelope) {
    let system = spawn_with(|config| {
        config.worker_kinds = vec![WorkerKind::Search, WorkerKind::Order, WorkerKind::Notify];
        config.orchestrator.archive_dead_letters = archive;
    })
    .await;
    let mut thief = system
        .steal_first(QueueRole::Payment, MessageType::AuthorizePayment)
        .await;
    let id = system.submit(trip()).await;
    let authorize = thief.stolen(Duration::from_secs(60)).await;
    assert_eq!(authorize.saga_id, id);
    assert_eq!(system.saga(id).await.unwrap().status, "authorizing");
    (system, id, authorize)
}

/// A decline of `authorize`'s hold, as the payment worker would send it.
fn decline_of(authorize: &Envelope) -> Envelope {
    let Message::AuthorizePayment(hold) = &authorize.message else {
        unreachable!("an authorization")
    };
    Envelope::caused_by(
        authorize,
        PaymentDeclined {
            idempotency_key: hold.idempotency_key.clone(),
            payment_intent_id: None,
            decline_code: Some("card_declined".into()),
            detail: "forged decline".into(),
        },
    )
}

#[tokio::test]
async fn every_forgery_is_refused_and_moves_no_money() {
    let (system, id, authorize) = waiting_on_a_hold(false).await;
    let Message::AuthorizePayment(hold) = &authorize.message else {
        unreachable!("the thief took an authorization")
    };
    let pending = hold.idempotency_key.clone();
    let waiting = system.saga(id).await.unwrap();
    let stripe_before = stripe_requests(&system.ledger());
    let keys = system.stack().message_keys().clone();

    let notify = Hostile::connect(&system, Identity::Notify).await;
    let orchestrator = Hostile::connect(&system, Identity::Orchestrator).await;
    let declined = || decline_of(&authorize);
    let authorized = || {
        Envelope::caused_by(
            &authorize,
            PaymentAuthorized {
                idempotency_key: pending.clone(),
                payment_intent_id: "pi_forged_hold".into(),
                amount: hold.amount,
            },
        )
    };
    let refund = || {
        Envelope::new(
            id,
            RefundPayment {
                idempotency_key: IdempotencyKey::derive(id, Step::Refund, 1),
                payment_intent_id: "pi_forged_charge".into(),
                amount: hold.amount,
            },
        )
    };

    // Replies for the waiting saga, from the wrong role.
    let mut to_orchestrator = Vec::new();
    for (envelope, signed, code) in [
        (declined(), Signed::Not, "unsigned"),
        (authorized(), Signed::Not, "unsigned"),
        (declined(), Signed::Badly, "bad_signature"),
        (
            declined(),
            Signed::As(Identity::Notify, &keys),
            "forbidden_sender",
        ),
        (
            authorized(),
            Signed::As(Identity::Notify, &keys),
            "forbidden_sender",
        ),
        // Signed as the payment worker, sent by the notify worker.
        (
            authorized(),
            Signed::As(Identity::Payment, &keys),
            "forbidden_sender",
        ),
    ] {
        notify.publish(&envelope, signed).await.unwrap();
        to_orchestrator.push((envelope, code));
    }
    let letters = dead_letters(&system, QueueRole::Orchestrator, to_orchestrator.len()).await;
    for (envelope, code) in &to_orchestrator {
        assert_eq!(
            code_of(&letters, envelope),
            *code,
            "{}",
            envelope.message_type()
        );
    }
    let after = system.saga(id).await.unwrap();
    assert_eq!(
        after.version, waiting.version,
        "no forged reply moved the saga"
    );
    assert_eq!(after.status, "authorizing");

    // Commands that would move money, once a payment worker runs.
    let _payment = system.stack().start_workers(&[WorkerKind::Payment]);
    let ghost = Uuid::now_v7();
    let mut to_payment = Vec::new();
    for (sender, envelope, signed, code) in [
        // A hold for a saga that does not exist, straight onto the queue.
        (
            &notify,
            for_saga(&authorize, ghost, Step::Authorize),
            Signed::Not,
            "unsigned",
        ),
        (
            &notify,
            for_saga(&authorize, ghost, Step::Authorize),
            Signed::As(Identity::Notify, &keys),
            "forbidden_sender",
        ),
        // Claiming to pass on the orchestrator's refund: only the payment
        // worker itself and ops pass messages on onto this queue.
        (
            &notify,
            refund(),
            Signed::As(Identity::Orchestrator, &keys),
            "forbidden_sender",
        ),
        // The orchestrator's own credentials, without the keys.
        (&orchestrator, refund(), Signed::Not, "unsigned"),
        (
            &orchestrator,
            for_saga(&authorize, ghost, Step::Authorize),
            Signed::Badly,
            "bad_signature",
        ),
    ] {
        sender
            .onto(QueueRole::Payment, &envelope, signed)
            .await
            .unwrap();
        to_payment.push((envelope, code));
    }
    // Unsigned through the commands exchange, as the orchestrator sends.
    let unsigned_refund = refund();
    orchestrator
        .publish(&unsigned_refund, Signed::Not)
        .await
        .unwrap();
    to_payment.push((unsigned_refund, "unsigned"));
    let letters = dead_letters(&system, QueueRole::Payment, to_payment.len()).await;
    for (envelope, code) in &to_payment {
        assert_eq!(
            code_of(&letters, envelope),
            *code,
            "{}",
            envelope.message_type()
        );
    }

    // RabbitMQ itself refuses a worker on the commands exchange, and a
    // user_id that is not the connection's.
    let refused = notify
        .publish(&refund(), Signed::As(Identity::Orchestrator, &keys))
        .await;
    assert!(
        refused.is_err(),
        "the notify worker wrote to the commands exchange"
    );
    let spoofed = notify
        .publisher
        .publish_exactly(
            &system.topology.events_exchange(),
            "payment.declined",
            &declined().encode(),
            stamp(
                BasicProperties::default(),
                Identity::Payment,
                &keys,
                &declined().encode(),
            ),
        )
        .await;
    assert!(
        spoofed.is_err(),
        "RabbitMQ took a user_id that is not the login"
    );
    // Nor does a wrong password get in.
    let wrong = BrokerAccess::new(&autobook_tests::amqp_url(), keys.clone())
        .unwrap()
        .with_password(Identity::Payment, Password::new("not-the-password"));
    let login = wrong
        .connect(Identity::Payment, "forgery-test", system.topology.clone())
        .await;
    assert!(login.is_err(), "a wrong password logged in");

    assert_eq!(
        stripe_requests(&system.ledger()),
        stripe_before,
        "a forgery reached Stripe"
    );
    assert!(
        system.ledger().payment_intents.is_empty(),
        "a forged hold was placed"
    );
    assert!(
        system.ledger().refunds.is_empty(),
        "a forged refund was made"
    );
    assert_eq!(system.saga(id).await.unwrap().version, waiting.version);

    // The real command, sent again by the orchestrator, books the trip.
    system
        .publisher_as(Identity::Orchestrator)
        .await
        .publish(&authorize)
        .await
        .unwrap();
    let row = system.finished(id).await;
    assert_eq!(row.status, "booked");
    let ledger = system.ledger();
    assert_eq!(
        ledger.payment_intents.len(),
        1,
        "{:?}",
        ledger.payment_intents
    );
    assert_eq!(ledger.orders.len(), 1);
    assert!(ledger.refunds.is_empty());
    system.teardown().await;
}

/// The archived dead letters of `saga_id` with `code`, once there are
/// `count` of them (the archiver copies each as it arrives; each archived
/// dead letter wakes the check).
async fn archived(system: &TestSystem, saga_id: Uuid, code: &str, count: usize) -> Vec<Uuid> {
    let pool = &system.stack().pool;
    let mut listener = autobook_tests::listen_archive(pool).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ids =
            autobook_orchestrator::testing::dead_letters::of_saga_with_code(pool, saga_id, code)
                .await
                .unwrap();
        if ids.len() >= count {
            return ids;
        }
        tokio::time::timeout_at(deadline, listener.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{count} {code} dead letters of {saga_id} were not archived in 20 s: {}",
                    ids.len()
                )
            })
            .unwrap();
    }
}

#[tokio::test]
async fn a_forgery_replayed_from_the_archive_is_refused_again() {
    let (system, id, authorize) = waiting_on_a_hold(true).await;
    let waiting = system.saga(id).await.unwrap();
    let keys = system.stack().message_keys().clone();
    let notify = Hostile::connect(&system, Identity::Notify).await;
    notify
        .publish(&decline_of(&authorize), Signed::Not)
        .await
        .unwrap();
    notify
        .publish(&decline_of(&authorize), Signed::As(Identity::Notify, &keys))
        .await
        .unwrap();
    let unsigned = archived(&system, id, "unsigned", 1).await;
    let forbidden = archived(&system, id, "forbidden_sender", 1).await;
    // The operator replays both: ops passes them on with the signature
    // they came with (none, or the notify worker's), and they are judged
    // as they were the first time.
    let stack = system.stack();
    for letter in [unsigned[0], forbidden[0]] {
        let summary = dlq::replay(
            &stack.pool,
            &stack.vault,
            Some(&stack.publisher),
            &Selection::One(letter),
            false,
            "operator",
        )
        .await
        .unwrap();
        assert!(
            matches!(summary.reports[0].outcome, ReplayOutcome::Replayed { .. }),
            "{:?}",
            summary.reports[0].outcome
        );
    }
    archived(&system, id, "unsigned", 2).await;
    archived(&system, id, "forbidden_sender", 2).await;
    let after = system.saga(id).await.unwrap();
    assert_eq!(
        after.version, waiting.version,
        "a replayed forgery moved the saga"
    );
    system.teardown().await;
}

#[tokio::test]
async fn topic_permissions_refuse_a_reply_type_from_the_wrong_worker() {
    let system = spawn_with(|_| {}).await;
    let vhost = std::env::var("AUTOBOOK_BROKER_VHOST").unwrap_or_else(|_| "/".into());
    let [permission] = topic_permissions(Identity::Notify).try_into().unwrap();
    let exchange = permission.exchange_in(system.topology.namespace());
    let user = Identity::Notify.user();
    rabbitmqctl(&[
        "set_topic_permissions",
        "-p",
        &vhost,
        user,
        &exchange,
        &permission.write,
        &permission.read,
    ])
    .await;
    let keys = system.stack().message_keys().clone();
    let notify = Hostile::connect(&system, Identity::Notify).await;
    let ghost = Uuid::now_v7();
    let key = IdempotencyKey::derive(ghost, Step::Notify, 1);
    // Even signed with the real keys: RabbitMQ refuses the routing key.
    let decline = Envelope::new(
        ghost,
        PaymentDeclined {
            idempotency_key: key.clone(),
            payment_intent_id: None,
            decline_code: None,
            detail: "forged decline".into(),
        },
    );
    let refused = notify
        .publish(&decline, Signed::As(Identity::Notify, &keys))
        .await;
    // Its own reply type still goes through.
    let sent = Envelope::new(
        ghost,
        NotificationSent {
            idempotency_key: key,
            email_id: "email_forged".into(),
        },
    );
    let allowed = notify
        .publish(&sent, Signed::As(Identity::Notify, &keys))
        .await;
    rabbitmqctl(&["clear_topic_permissions", "-p", &vhost, user, &exchange]).await;
    assert!(
        refused.is_err(),
        "RabbitMQ routed payment.declined from the notify worker"
    );
    allowed.unwrap();
    let letter = system.dead_letter(QueueRole::Orchestrator).await;
    assert_eq!(
        Envelope::decode(&letter.body).unwrap().message_id,
        sent.message_id,
        "only the notify worker's own reply type reached the orchestrator"
    );
    system.teardown().await;
}
