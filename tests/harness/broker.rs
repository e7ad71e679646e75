//! Broker access for tests: raw publishing (bad input), reading dead-letter
//! queues, and observing events as they pass. Reading is push-based
//! (consumers with a deadline), never polling.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Consumer};

use autobook_broker::properties::header_text;
use autobook_contracts::topology::headers;
use autobook_contracts::{Envelope, QueueRole};

use crate::TestSystem;

/// A message taken from a dead-letter queue, with the reason autobook gave.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub code: String,
    pub reason: String,
    pub source: String,
    pub body: Vec<u8>,
}

/// A private queue bound to the events exchange, to watch replies pass.
pub struct Observer {
    consumer: Consumer,
}

impl TestSystem {
    /// Publishes arbitrary bytes, as a misbehaving publisher would.
    pub async fn publish_raw(&self, exchange: &str, routing_key: &str, body: &[u8]) {
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        self.stack()
            .publisher
            .publish_raw(exchange, routing_key, body, properties)
            .await
            .unwrap();
    }

    /// Takes the next dead letter of `role`'s queue (waits up to 15 s).
    pub async fn dead_letter(&self, role: QueueRole) -> DeadLetter {
        let queue = self.topology.dead_letter_queue(role);
        let channel = self.stack().broker.channel().await.unwrap();
        channel
            .basic_qos(1, BasicQosOptions::default())
            .await
            .unwrap();
        let mut consumer = channel
            .basic_consume(
                queue.clone().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let delivery = tokio::time::timeout(Duration::from_secs(15), consumer.next())
            .await
            .unwrap_or_else(|_| panic!("nothing arrived in {queue}"))
            .unwrap()
            .unwrap();
        delivery.ack(BasicAckOptions::default()).await.unwrap();
        let _ = channel.close(200, "done".into()).await;
        let properties = &delivery.properties;
        DeadLetter {
            code: header_text(properties, headers::DEAD_LETTER_CODE).unwrap_or_default(),
            reason: header_text(properties, headers::DEAD_LETTER_REASON).unwrap_or_default(),
            source: header_text(properties, headers::DEAD_LETTER_SOURCE).unwrap_or_default(),
            body: delivery.data.clone(),
        }
    }

    /// Starts watching events with the given routing keys (message types).
    pub async fn observe(&self, routing_keys: &[&str]) -> Observer {
        let channel = self.stack().broker.channel().await.unwrap();
        let options = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        let queue = channel
            .queue_declare("".into(), options, FieldTable::default())
            .await
            .unwrap();
        let name = queue.name().as_str().to_owned();
        for key in routing_keys {
            channel
                .queue_bind(
                    name.clone().into(),
                    self.topology.events_exchange().into(),
                    (*key).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .unwrap();
        }
        let options = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let consumer = channel
            .basic_consume(name.into(), "".into(), options, FieldTable::default())
            .await
            .unwrap();
        Observer { consumer }
    }
}

impl Observer {
    /// The next observed event, if one arrives within `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Envelope> {
        let delivery = tokio::time::timeout(timeout, self.consumer.next())
            .await
            .ok()??
            .ok()?;
        Envelope::decode(&delivery.data).ok()
    }
}
