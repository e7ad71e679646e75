//! A stand-in for the payment worker: the test takes the payment commands
//! off their queue itself and decides what happens, so that a saga can be
//! left holding money mid-step, or be told its payment was captured when
//! it was not.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;

use autobook_contracts::senders::Identity;
use autobook_contracts::{Envelope, Message, QueueRole};
use autobook_tests::TestSystem;

/// The payment queue, consumed by the test.
pub struct Payments {
    consumer: lapin::Consumer,
}

impl Payments {
    pub async fn take(system: &TestSystem) -> Payments {
        let channel = system.stack().broker.channel().await.unwrap();
        channel
            .basic_qos(16, BasicQosOptions::default())
            .await
            .unwrap();
        let consumer = channel
            .basic_consume(
                system.topology.queue(QueueRole::Payment).into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        Payments { consumer }
    }

    /// The next payment command (waits up to 15 s), acked.
    pub async fn next(&mut self) -> Envelope {
        let delivery = tokio::time::timeout(Duration::from_secs(15), self.consumer.next())
            .await
            .expect("a payment command within 15 s")
            .unwrap()
            .unwrap();
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        Envelope::decode(&delivery.data).unwrap()
    }

    /// The next command, which must be one of `saga`'s of the given kind.
    pub async fn next_of(&mut self, kind: &str) -> Envelope {
        let command = self.next().await;
        assert_eq!(command.message_type().as_str(), kind, "{command:?}");
        command
    }
}

/// Publishes `reply` to `command` as the worker would.
pub async fn reply(system: &TestSystem, command: &Envelope, reply: impl Into<Message>) {
    let envelope = Envelope::caused_by(command, reply);
    system
        .publisher_as(Identity::Payment)
        .await
        .with_origin("test-payments")
        .publish(&envelope)
        .await
        .unwrap();
}
