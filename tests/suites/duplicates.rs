//! At-least-once delivery, exactly-once effects: every command of a booked
//! saga is delivered a second time; the workers replay their stored
//! replies, the orchestrator recognises them, and nothing happens twice.

use std::time::Duration;

use autobook_contracts::senders::Identity;
use autobook_contracts::topology::headers;
use autobook_contracts::{Envelope, QueueRole};
use autobook_orchestrator::testing::outbox;
use autobook_tests::spawn_with;
use autobook_tests::trips::trip;
use autobook_vault::Place;
use autobook_workers::testing as ledger;
use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

#[tokio::test]
async fn the_same_command_delivered_twice_produces_one_effect() {
    // One orchestrator consuming one message at a time, so that a probe
    // published last is handled last.
    let system = spawn_with(|config| config.orchestrator.prefetch = 1).await;
    let id = system.submit(trip()).await;
    let booked = system.finished(id).await;
    let before = system.ledger();

    let replies = [
        "search.offers_found",
        "payment.authorized",
        "order.created",
        "payment.captured",
        "notification.sent",
    ];
    let mut observer = system.observe(&replies).await;
    let commands = outbox::of_saga(&system.stack().pool, id).await.unwrap();
    assert_eq!(
        commands.len(),
        5,
        "search, authorize, order, capture, notify"
    );
    for row in &commands {
        let message_type = &row.message_type;
        // Stored sealed: published as the relay would, opened (and its
        // personal fields sealed for the broker by `publish_raw`).
        let place = Place::outbox(row.message_id);
        let body = system
            .stack()
            .vault
            .open_bytes(&row.body, &place, "body")
            .unwrap();
        system
            .publish_raw(&system.topology.commands_exchange(), message_type, &body)
            .await;
    }
    let mut replayed = Vec::new();
    while replayed.len() < replies.len() {
        let reply = observer
            .next(Duration::from_secs(15))
            .await
            .expect("every duplicate is answered");
        replayed.push(reply.message_type().as_str().to_owned());
    }
    replayed.sort();
    let mut expected = replies.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(replayed, expected);

    let after = system.ledger();
    assert_eq!(
        after.offer_requests, before.offer_requests,
        "no second search"
    );
    assert_eq!(
        after.payment_intents, before.payment_intents,
        "no second hold or capture"
    );
    assert_eq!(after.orders, before.orders, "no second ticket");
    assert_eq!(after.emails.len(), before.emails.len(), "no second email");

    // The replayed replies reached the orchestrator before this probe: it
    // is dead-lettered only after they were handled (as duplicates).
    let first = outbox::of_saga(&system.stack().pool, id)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the saga sent its search");
    let (probe_id, probe) = (first.message_id, first.body);
    let probe = system
        .stack()
        .vault
        .open_bytes(&probe, &Place::outbox(probe_id), "body")
        .unwrap();
    let search = Envelope::decode(&probe).unwrap();
    let stale = Envelope::caused_by(
        &search,
        autobook_contracts::events::SearchFailed {
            idempotency_key: search.message.idempotency_key().unwrap().clone(),
            detail: "probe".into(),
        },
    );
    system
        .publish_raw(
            &system.topology.events_exchange(),
            "search.failed",
            &stale.encode(),
        )
        .await;
    let dead = system.dead_letter(QueueRole::Orchestrator).await;
    assert_eq!(dead.code, "illegal_transition", "{}", dead.reason);
    assert_eq!(
        Envelope::decode(&dead.body).unwrap().message_id,
        stale.message_id,
        "the duplicates were not dead-lettered"
    );
    let row = system.saga(id).await.unwrap();
    assert_eq!(
        row.version, booked.version,
        "the duplicates changed nothing"
    );
    assert_eq!(row.saga, booked.saga);
    system.teardown().await;
}

/// A worker that could not store its reply (the database went away) sends
/// the command to be retried; if it could not release its claim either,
/// the claim stays `in_flight`. The retried copy cannot tell its own
/// handler gave up (its header could be forged), so it waits through the
/// retry queues until the claim's lease runs out, then takes the claim
/// over, looks the result up and answers; dropping it as a duplicate of a
/// call still in progress would leave the saga waiting for a reply nobody
/// sends.
#[tokio::test]
async fn a_retried_command_takes_over_the_claim_its_handler_left_once_its_lease_ran_out() {
    let system = spawn_with(|config| {
        config.orchestrator.prefetch = 1;
        config.topology = config.topology.clone().with_retry_delays_ms(vec![250; 12]);
    })
    .await;
    let id = system.submit(trip()).await;
    system.finished(id).await;
    let before = system.ledger();
    let notify = outbox::of_type(&system.stack().pool, id, "notification.send")
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the saga sent its notification");
    let body = system
        .stack()
        .vault
        .open_bytes(&notify.body, &Place::outbox(notify.message_id), "body")
        .unwrap()
        .into_owned();
    let command = Envelope::decode(&body).unwrap();
    let key = command.message.idempotency_key().unwrap().clone();
    // The state a handler leaves behind when storing its reply and
    // releasing its claim failed, its lease running out in a second.
    let lease = autobook_workers::worker::calls::CLAIM_LEASE.as_secs_f64();
    let reopened = ledger::reopen_claim(&system.stack().pool, key.as_str(), lease - 1.0)
        .await
        .unwrap();
    let lease_end = reopened.claimed_at
        + chrono::TimeDelta::from_std(autobook_workers::worker::calls::CLAIM_LEASE).unwrap();

    let mut observer = system.observe(&["notification.sent"]).await;
    let mut attempts = FieldTable::default();
    attempts.insert(headers::ATTEMPTS.into(), AMQPValue::LongUInt(1));
    let properties = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(command.message_id.to_string().into())
        .with_headers(attempts);
    system
        .publisher_as(Identity::Orchestrator)
        .await
        .publish_signed(
            &system.topology.commands_exchange(),
            "notification.send",
            // Its recipient sealed, as the relay publishes it.
            &system.stack().vault.seal_envelope(&body),
            properties,
        )
        .await
        .unwrap();
    let reply = observer
        .next(Duration::from_secs(15))
        .await
        .expect("the retried command is answered");
    assert_eq!(reply.saga_id, id);

    let call = ledger::call(&system.stack().pool, key.as_str())
        .await
        .unwrap();
    let (status, fence, claimed_at) = (call.status, call.fence, call.claimed_at);
    assert_eq!(status, "completed");
    assert_eq!(fence, 2, "the retried copy took the claim over");
    assert!(
        claimed_at >= lease_end,
        "taken over once the lease ran out ({claimed_at} < {lease_end})"
    );
    assert_eq!(
        system.ledger().emails.len(),
        before.emails.len(),
        "the earlier email was found, not sent again"
    );
    system.teardown().await;
}
