//! Quorum queues (`AUTOBOOK_QUEUE_TYPE=quorum`): a namespace declared with
//! classic queues is moved to quorum queues by `autobook migrate` without
//! losing a message (work, retry and dead-letter queues; a retry that expires during
//! the move still reaches its work queue), a role meeting a classic queue is
//! told to migrate, and a work queue dead-letters a message its consumers
//! keep handing back after the delivery limit.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use lapin::BasicProperties;
use lapin::message::Delivery;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions};
use lapin::types::{AMQPValue, FieldTable};
use uuid::Uuid;

use autobook_broker::declare::declare_topology;
use autobook_broker::error::BrokerError;
use autobook_broker::quorum::move_classic_queues;
use autobook_broker::{Broker, Publisher};
use autobook_contracts::senders::Identity;
use autobook_contracts::topology::DELIVERY_LIMIT;
use autobook_contracts::{QueueRole, Topology};
use autobook_tests::{broker_access, remove_topology};

fn namespace(label: &str) -> String {
    format!("t-{label}-{}", &Uuid::new_v4().simple().to_string()[..12])
}

async fn connect(topology: &Topology, name: &str) -> Broker {
    broker_access()
        .connect(Identity::Ops, name, topology.clone())
        .await
        .unwrap()
}

/// The next `count` deliveries of `queue` as they arrive (each acked), or a
/// failure naming what was missing after `timeout`.
async fn receive(broker: &Broker, queue: &str, count: usize, timeout: Duration) -> Vec<Delivery> {
    let channel = broker.channel().await.unwrap();
    let mut consumer = channel
        .basic_consume(
            queue.into(),
            "quorum-test".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let mut received = Vec::with_capacity(count);
    let all = tokio::time::timeout(timeout, async {
        while received.len() < count {
            let delivery = consumer.next().await.unwrap().unwrap();
            delivery.ack(BasicAckOptions::default()).await.unwrap();
            received.push(delivery);
        }
    })
    .await;
    assert!(
        all.is_ok(),
        "{queue}: {} of {count} messages within {timeout:?}",
        received.len()
    );
    let _ = channel.close(200, "received".into()).await;
    received
}

fn texts(deliveries: &[Delivery]) -> BTreeSet<String> {
    deliveries
        .iter()
        .map(|d| String::from_utf8(d.data.clone()).unwrap())
        .collect()
}

/// Takes every message of `queue`: their bodies.
async fn take_all(broker: &Broker, queue: &str) -> BTreeSet<String> {
    let channel = broker.channel().await.unwrap();
    let mut bodies = BTreeSet::new();
    while let Some(message) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
    {
        bodies.insert(String::from_utf8(message.delivery.data.clone()).unwrap());
    }
    bodies
}

fn bodies(prefix: &str, count: usize) -> BTreeSet<String> {
    (0..count).map(|i| format!("{prefix} {i}")).collect()
}

#[tokio::test]
async fn classic_queues_move_to_quorum_queues_with_every_message() {
    let name = namespace("classic");
    let quorum = Topology::new(&name)
        .unwrap()
        .with_quorum_queues()
        .with_retry_delays_ms(vec![2_000])
        .with_queue_expiry(300_000);
    let classic = quorum.clone().with_classic_queues();
    let old = connect(&classic, "test-classic-queues").await;
    declare_topology(&old).await.unwrap();
    let publisher = Publisher::open(&old).await.unwrap();
    let work = classic.queue(QueueRole::Payment);
    let retry = classic.retry_queue(QueueRole::Payment, 1).unwrap();
    let dead = classic.dead_letter_queue(QueueRole::Payment);
    let properties = || BasicProperties::default().with_delivery_mode(2);
    for body in bodies("work", 30) {
        publisher
            .publish_exactly(
                &classic.commands_exchange(),
                "payment.authorize",
                body.as_bytes(),
                properties(),
            )
            .await
            .unwrap();
    }
    for body in bodies("retry", 5) {
        publisher
            .publish_exactly("", &retry, body.as_bytes(), properties())
            .await
            .unwrap();
    }
    for body in bodies("dead", 7) {
        publisher
            .publish_exactly(
                &classic.dead_letter_exchange(),
                &work,
                body.as_bytes(),
                properties(),
            )
            .await
            .unwrap();
    }
    old.close().await;

    // A role of the new version meets the classic queues: told to migrate.
    let new = connect(&quorum, "test-quorum-queues").await;
    let refused = declare_topology(&new).await.unwrap_err();
    assert!(
        matches!(refused, BrokerError::OtherQueueType { .. }),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("autobook migrate"),
        "{refused}"
    );

    let moved = move_classic_queues(&new).await.unwrap();
    let names: BTreeSet<&str> = moved.iter().map(|m| m.queue.as_str()).collect();
    let declared: BTreeSet<String> = quorum
        .declarations()
        .queues
        .into_iter()
        .map(|q| q.name)
        .collect();
    assert_eq!(
        names,
        declared.iter().map(String::as_str).collect(),
        "every queue moved once"
    );
    let count = |queue: &str| moved.iter().find(|m| m.queue == queue).unwrap().messages;
    assert_eq!(count(&work), 30);
    assert_eq!(count(&dead), 7);
    declare_topology(&new).await.unwrap();
    assert!(
        move_classic_queues(&new).await.unwrap().is_empty(),
        "a second run moves nothing"
    );
    // A classic declaration is now the one refused.
    let again = connect(&classic, "test-classic-again").await;
    let refused = declare_topology(&again).await.unwrap_err().to_string();
    assert!(refused.contains("inequivalent arg"), "{refused}");
    again.close().await;

    // Nothing lost: the retries expire into the (quorum) work queue.
    let mut expected = bodies("work", 30);
    expected.extend(bodies("retry", 5));
    let arrived = receive(&new, &work, 35, Duration::from_secs(30)).await;
    assert_eq!(texts(&arrived), expected);
    assert!(take_all(&new, &work).await.is_empty(), "nothing more");
    assert_eq!(take_all(&new, &dead).await, bodies("dead", 7));
    new.close().await;
    remove_topology(quorum).await.unwrap();
}

#[tokio::test]
async fn a_message_handed_back_too_often_is_dead_lettered_by_the_broker() {
    let topology = Topology::new(&namespace("limit"))
        .unwrap()
        .with_quorum_queues()
        .with_queue_expiry(300_000);
    let broker = connect(&topology, "test-delivery-limit").await;
    declare_topology(&broker).await.unwrap();
    let publisher = Publisher::open(&broker).await.unwrap();
    publisher
        .publish_exactly(
            &topology.commands_exchange(),
            "payment.authorize",
            b"poison",
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap();
    let work = topology.queue(QueueRole::Payment);
    let channel = broker.channel().await.unwrap();
    let mut deliveries = 0;
    while let Some(message) = channel
        .basic_get(work.clone().into(), BasicGetOptions { no_ack: false })
        .await
        .unwrap()
    {
        deliveries += 1;
        assert!(deliveries <= DELIVERY_LIMIT + 1, "never dead-lettered");
        message
            .delivery
            .nack(BasicNackOptions {
                requeue: true,
                ..BasicNackOptions::default()
            })
            .await
            .unwrap();
    }
    assert_eq!(
        deliveries,
        DELIVERY_LIMIT + 1,
        "delivered up to the limit, then no more"
    );
    let dead = topology.dead_letter_queue(QueueRole::Payment);
    let [message] = receive(&broker, &dead, 1, Duration::from_secs(10))
        .await
        .try_into()
        .unwrap();
    assert_eq!(message.data, b"poison");
    let headers = message.properties.headers().clone().unwrap_or_default();
    let reason = headers.inner().get("x-first-death-reason").cloned();
    assert_eq!(reason, Some(AMQPValue::LongString("delivery_limit".into())));
    broker.close().await;
    remove_topology(topology).await.unwrap();
}
