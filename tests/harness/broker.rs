//! Broker access for tests: raw publishing (bad input), reading dead-letter
//! queues, observing events as they pass, and losing one message
//! ([`Thief`]). Reading is push-based
//! (consumers with a deadline), never polling. Bodies on the broker carry
//! their personal fields sealed: what is read is opened with the stack's
//! keyring, and raw publishing seals them as a publisher holding the
//! keyring would (unless the test asks for plaintext).

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Consumer};

use autobook_broker::Publisher;
use autobook_broker::properties::header_text;
use autobook_contracts::senders::{Identity, senders_of};
use autobook_contracts::topology::headers;
use autobook_contracts::{Envelope, MessageType, QueueRole};
use autobook_vault::{Keyring, Place};

use crate::TestSystem;

/// A message taken from a dead-letter queue, with the reason autobook gave.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    pub code: String,
    pub reason: String,
    pub source: String,
    /// The body as it was refused (a copy sealed whole, opened).
    pub body: Vec<u8>,
    /// The body as the dead-letter queue held it.
    pub copy: Vec<u8>,
}

/// A consumer that takes the first message of one type off a queue and
/// drops it (acked, never handled), as a lost message would be; every
/// other message it sees goes back to the queue.
pub struct Thief {
    stolen: tokio::sync::oneshot::Receiver<Envelope>,
    task: tokio::task::JoinHandle<()>,
}

impl Thief {
    /// The dropped message, once taken (waits up to `timeout`).
    pub async fn stolen(&mut self, timeout: Duration) -> Envelope {
        tokio::time::timeout(timeout, &mut self.stolen)
            .await
            .expect("the message to steal came in time")
            .expect("the thief ran")
    }
}

impl Drop for Thief {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A private queue bound to the events exchange, to watch replies pass.
pub struct Observer {
    consumer: Consumer,
    vault: Keyring,
}

/// A body from the broker, its personal fields opened with `vault`, decoded.
pub fn decode_wire(vault: &Keyring, body: &[u8]) -> Option<Envelope> {
    Envelope::decode(&vault.open_envelope(body).ok()?).ok()
}

impl TestSystem {
    /// A publisher on the stack's connection of `identity`, to stand in
    /// for that role (a worker's reply, the orchestrator's command).
    pub async fn publisher_as(&self, identity: Identity) -> Publisher {
        Publisher::open(self.stack().broker_of(identity))
            .await
            .unwrap()
    }

    /// Publishes arbitrary bytes, as a misbehaving publisher would that
    /// holds the identity allowed to send the routing key's message type
    /// (ops for an unknown type), the message keys and the data keyring:
    /// the plaintext personal fields of an envelope sealed first (nothing
    /// else touched), then signed, so that the bytes themselves are judged.
    pub async fn publish_raw(&self, exchange: &str, routing_key: &str, body: &[u8]) {
        let sealed = self.stack().vault.seal_envelope(body);
        self.publish_plain(exchange, routing_key, &sealed).await;
    }

    /// Publishes the bytes as given, signed as [`TestSystem::publish_raw`]
    /// does: personal fields in plaintext stay so, as a publisher without
    /// the keyring would send them.
    pub async fn publish_plain(&self, exchange: &str, routing_key: &str, body: &[u8]) {
        let identity = MessageType::parse(routing_key)
            .and_then(|t| senders_of(t).first().copied())
            .unwrap_or(Identity::Ops);
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        self.publisher_as(identity)
            .await
            .publish_signed(exchange, routing_key, body, properties)
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
        let id = header_text(properties, headers::DEAD_LETTER_ID).unwrap_or_default();
        let body = self
            .stack()
            .vault
            .open_bytes(&delivery.data, &Place::dead_letter(id), "body")
            .unwrap()
            .into_owned();
        DeadLetter {
            code: header_text(properties, headers::DEAD_LETTER_CODE).unwrap_or_default(),
            reason: header_text(properties, headers::DEAD_LETTER_REASON).unwrap_or_default(),
            source: header_text(properties, headers::DEAD_LETTER_SOURCE).unwrap_or_default(),
            body,
            copy: delivery.data.clone(),
        }
    }

    /// Starts a [`Thief`] on `role`'s queue for the first `message_type`.
    pub async fn steal_first(&self, role: QueueRole, message_type: MessageType) -> Thief {
        let queue = self.topology.queue(role);
        let channel = self.stack().broker.channel().await.unwrap();
        channel
            .basic_qos(1, BasicQosOptions::default())
            .await
            .unwrap();
        let mut consumer = channel
            .basic_consume(
                queue.into(),
                "thief".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
        let (found, stolen) = tokio::sync::oneshot::channel();
        let vault = self.stack().vault.clone();
        let task = tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let envelope = decode_wire(&vault, &delivery.data);
                match envelope {
                    Some(envelope) if envelope.message_type() == message_type => {
                        delivery.ack(BasicAckOptions::default()).await.unwrap();
                        let _ = channel.close(200, "stolen".into()).await;
                        let _ = found.send(envelope);
                        return;
                    }
                    _ => {
                        let requeue = BasicNackOptions {
                            requeue: true,
                            ..BasicNackOptions::default()
                        };
                        delivery.nack(requeue).await.unwrap();
                    }
                }
            }
        });
        Thief { stolen, task }
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
        Observer {
            consumer,
            vault: self.stack().vault.clone(),
        }
    }
}

impl Observer {
    /// The next observed event, if one arrives within `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Envelope> {
        let delivery = tokio::time::timeout(timeout, self.consumer.next())
            .await
            .ok()??
            .ok()?;
        decode_wire(&self.vault, &delivery.data)
    }
}
