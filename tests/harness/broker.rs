//! Broker access for tests: raw publishing (bad input), reading dead-letter
//! queues, and observing events as they pass.

use std::time::Duration;

use lapin::options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};

use autobook_broker::properties::header_text;
use autobook_contracts::topology::headers;
use autobook_contracts::{Envelope, QueueRole};

use crate::TestSystem;
use crate::wait;

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
    channel: Channel,
    queue: String,
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

    /// The next dead letter of `role`'s queue (waits up to 15 s).
    pub async fn dead_letter(&self, role: QueueRole) -> DeadLetter {
        let channel = self.stack().broker.channel().await.unwrap();
        let queue = self.topology.dead_letter_queue(role);
        let found = wait::until(Duration::from_secs(15), || async {
            let message = channel
                .basic_get(queue.clone().into(), BasicGetOptions { no_ack: true })
                .await
                .ok()??;
            let properties = &message.delivery.properties;
            Some(DeadLetter {
                code: header_text(properties, headers::DEAD_LETTER_CODE).unwrap_or_default(),
                reason: header_text(properties, headers::DEAD_LETTER_REASON).unwrap_or_default(),
                source: header_text(properties, headers::DEAD_LETTER_SOURCE).unwrap_or_default(),
                body: message.delivery.data.clone(),
            })
        })
        .await;
        found.unwrap_or_else(|| panic!("nothing arrived in {queue}"))
    }

    /// Messages waiting in `role`'s dead-letter queue.
    pub async fn dead_letter_count(&self, role: QueueRole) -> u32 {
        let channel = self.stack().broker.channel().await.unwrap();
        let options = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        let queue = channel
            .queue_declare(
                self.topology.dead_letter_queue(role).into(),
                options,
                FieldTable::default(),
            )
            .await
            .unwrap();
        queue.message_count()
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
        Observer {
            channel,
            queue: name,
        }
    }
}

impl Observer {
    /// The next observed event, if one arrives within `timeout`.
    pub async fn next(&self, timeout: Duration) -> Option<Envelope> {
        wait::until(timeout, || async {
            let message = self
                .channel
                .basic_get(self.queue.clone().into(), BasicGetOptions { no_ack: true })
                .await
                .ok()??;
            Envelope::decode(&message.delivery.data).ok()
        })
        .await
    }
}
