//! Publishing with publisher confirms and `mandatory`: a publish succeeds
//! only when the broker has acknowledged the message and did not return it
//! as unroutable. Bodies leave with their personal fields sealed when the
//! broker holds a keyring ([`crate::sealing`]). Every message is published
//! in a `publish` span ([`crate::spans`]) whose context goes into the
//! `traceparent` header. Every message carries the connection's identity
//! and is signed, over the sealed bytes, with its message keys; one passed
//! on (a retry, a dead letter, a replay) keeps its first sender's
//! signature ([`crate::admission`]).

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::{BasicProperties, Channel, Confirmation, PublisherConfirm};
use tracing::Instrument;

use autobook_contracts::topology::headers;
use autobook_contracts::trace::TraceContext;
use autobook_contracts::{Envelope, MessageKind, MessageType, QueueRole, Topology};

use crate::connection::Broker;
use crate::error::{BrokerError, PublishError};
use crate::metric_definitions::{MESSAGES_PUBLISHED, PUBLISH_FAILURES};
use crate::outgoing::OutgoingMessage;
use crate::{admission, propagation, properties, sealing, spans};

/// How long a publish waits for the broker's confirm before counting as
/// failed (its fate unknown; publishing again is safe).
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(30);

/// A confirm-mode channel, re-opened on the broker's live connection when
/// it is lost. Cheap to clone; clones share the channel; safe to share
/// between tasks.
#[derive(Clone)]
pub struct Publisher {
    broker: Broker,
    channel: Arc<tokio::sync::Mutex<Option<Channel>>>,
    topology: Topology,
    /// Publish every message twice (a test switch, see [`Broker`]).
    duplicate: bool,
    /// Who publishes, for the `publish` spans (relay, worker, submitter).
    origin: &'static str,
    /// Seals the personal fields of every body (see [`crate::sealing`]).
    vault: Option<autobook_vault::Keyring>,
}

async fn confirm_channel(broker: &Broker) -> Result<Channel, BrokerError> {
    let channel = broker.channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .map_err(BrokerError::Channel)?;
    Ok(channel)
}

impl Publisher {
    /// Opens a channel in confirm mode.
    pub async fn open(broker: &Broker) -> Result<Publisher, BrokerError> {
        let channel = confirm_channel(broker).await?;
        // Every type this identity may send, at zero: a first failure is
        // seen by rates and alerts.
        for kind in [MessageKind::Command, MessageKind::Event] {
            for message_type in broker.identity().sends(kind) {
                metrics::counter!(PUBLISH_FAILURES, "message_type" => message_type.as_str())
                    .increment(0);
            }
        }
        Ok(Publisher {
            broker: broker.clone(),
            channel: Arc::new(tokio::sync::Mutex::new(Some(channel))),
            topology: broker.topology().clone(),
            duplicate: broker.duplicate_deliveries(),
            origin: "autobook",
            vault: broker.vault().cloned(),
        })
    }

    /// The open confirm channel, or a new one if it was lost.
    async fn channel(&self) -> Result<Channel, PublishError> {
        let mut slot = self.channel.lock().await;
        if let Some(channel) = slot.as_ref()
            && channel.status().connected()
            && self.broker.is_connected()
        {
            return Ok(channel.clone());
        }
        *slot = None;
        let channel = confirm_channel(&self.broker)
            .await
            .map_err(|error| PublishError::Unavailable(Box::new(error)))?;
        *slot = Some(channel.clone());
        Ok(channel)
    }

    /// The keyring bodies are sealed and opened with, if any.
    pub fn vault(&self) -> Option<&autobook_vault::Keyring> {
        self.vault.as_ref()
    }

    /// The same channel, naming `origin` as the publisher in its spans.
    pub fn with_origin(mut self, origin: &'static str) -> Publisher {
        self.origin = origin;
        self
    }

    /// Publishes an envelope to its exchange and waits for the confirm.
    pub async fn publish(&self, envelope: &Envelope) -> Result<(), PublishError> {
        self.publish_message(&OutgoingMessage::from_envelope(envelope))
            .await
    }

    pub async fn publish_message(&self, message: &OutgoingMessage) -> Result<(), PublishError> {
        self.publish_all(std::slice::from_ref(message))
            .await
            .pop()
            .unwrap_or(Ok(()))
    }

    /// Publishes several messages, pipelining the confirms; one result each.
    pub async fn publish_all(&self, messages: &[OutgoingMessage]) -> Vec<Result<(), PublishError>> {
        let copies = if self.duplicate { 2 } else { 1 };
        let mut pending = Vec::with_capacity(messages.len() * copies);
        for message in messages {
            let exchange = self.topology.exchange_for(message.message_type);
            let span = spans::publishing(self.origin, &exchange, message);
            // Exported: the header names the publish span; otherwise it
            // carries the message's own context.
            let trace = propagation::of_span(&span).or_else(|| message.trace.clone());
            let body = sealing::outgoing(self.vault.as_ref(), &message.body);
            for _ in 0..copies {
                let started = self
                    .start(message, &body, trace.as_ref())
                    .instrument(span.clone())
                    .await;
                pending.push((message.message_type, span.clone(), started));
            }
        }
        let finishing = pending
            .into_iter()
            .map(|(t, span, p)| self.finish(t, p).instrument(span));
        let results = join_all(finishing).await;
        if copies == 1 {
            return results;
        }
        // A message counts as published when both copies were confirmed.
        let mut copies = results.into_iter();
        let mut merged = Vec::with_capacity(messages.len());
        while let (Some(first), Some(second)) = (copies.next(), copies.next()) {
            merged.push(first.and(second));
        }
        merged
    }

    /// Moves a delivery to the dead-letter queue of `source`, with the reason
    /// in its headers (a body whose personal fields are not all sealed goes
    /// sealed whole). The caller acks the original only after this succeeds.
    pub async fn dead_letter(
        &self,
        source: QueueRole,
        delivery: &lapin::message::Delivery,
        code: &str,
        reason: &str,
    ) -> Result<(), PublishError> {
        let queue = self.topology.queue(source);
        let properties = properties::for_dead_letter(&delivery.properties, &queue, code, reason);
        let id = properties::header_text(&properties, headers::DEAD_LETTER_ID).unwrap_or_default();
        let body = sealing::dead_letter_copy(self.vault.as_ref(), &delivery.data, &id);
        let exchange = self.topology.dead_letter_exchange();
        self.publish_raw(&exchange, &queue, &body, properties).await
    }

    /// Sends a delivery to the retry queue for `attempt` (via the default
    /// exchange); the queue's TTL returns it to `source` afterwards.
    pub async fn retry(
        &self,
        source: QueueRole,
        delivery: &lapin::message::Delivery,
        attempt: u32,
        code: &str,
        reason: &str,
    ) -> Result<(), PublishError> {
        let Some(queue) = self.topology.retry_queue(source, attempt) else {
            return Err(PublishError::Unroutable {
                exchange: String::new(),
                routing_key: format!("retry {attempt} of {}", source.as_str()),
            });
        };
        let properties = properties::for_retry(&delivery.properties, attempt, code, reason);
        self.publish_raw("", &queue, &delivery.data, properties)
            .await
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Who this publisher's connection logs in as.
    pub fn identity(&self) -> autobook_contracts::senders::Identity {
        self.broker.identity()
    }

    /// The message keys of this publisher's connection.
    pub fn keys(&self) -> &crate::signing::MessageKeys {
        self.broker.keys()
    }

    /// Passes on a message another identity may have sent (dead letters,
    /// retries, replays): with this connection's `user_id`, keeping the
    /// original sender and signature.
    pub async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let properties = admission::relay(properties, self.broker.identity());
        self.publish_exactly(exchange, routing_key, body, properties)
            .await
    }

    /// Publishes arbitrary bytes as this connection's own message, signed
    /// (tests of bad input from a trusted sender).
    pub async fn publish_signed(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let properties = self.stamp(properties, body);
        self.publish_exactly(exchange, routing_key, body, properties)
            .await
    }

    fn stamp(&self, properties: BasicProperties, body: &[u8]) -> BasicProperties {
        admission::stamp(properties, self.broker.identity(), self.broker.keys(), body)
    }

    /// Publishes with exactly these properties (RabbitMQ refuses a
    /// `user_id` other than this connection's).
    pub async fn publish_exactly(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let confirm = self
            .channel()
            .await?
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                mandatory(),
                body,
                properties,
            )
            .await?;
        settle(confirmed(confirm).await?, exchange, routing_key)
    }

    async fn start(
        &self,
        message: &OutgoingMessage,
        body: &[u8],
        trace: Option<&TraceContext>,
    ) -> Result<PublisherConfirm, PublishError> {
        let exchange = self.topology.exchange_for(message.message_type);
        let routing_key = self.topology.routing_key(message.message_type);
        Ok(self
            .channel()
            .await?
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                mandatory(),
                body,
                self.stamp(properties_of(message, trace), body),
            )
            .await?)
    }

    async fn finish(
        &self,
        message_type: MessageType,
        pending: Result<PublisherConfirm, PublishError>,
    ) -> Result<(), PublishError> {
        let exchange = self.topology.exchange_for(message_type);
        let result = match pending {
            Ok(confirm) => match confirmed(confirm).await {
                Ok(confirmation) => settle(confirmation, &exchange, message_type.as_str()),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        match &result {
            Ok(()) => {
                metrics::counter!(MESSAGES_PUBLISHED, "message_type" => message_type.as_str())
                    .increment(1)
            }
            Err(_) => {
                spans::record_error();
                metrics::counter!(PUBLISH_FAILURES, "message_type" => message_type.as_str())
                    .increment(1)
            }
        }
        result
    }
}

/// The properties `message` is published with: its own, and the trace
/// headers of `trace` (the `publish` span's context).
fn properties_of(message: &OutgoingMessage, trace: Option<&TraceContext>) -> BasicProperties {
    let properties = properties::for_message(message);
    match trace {
        Some(trace) => propagation::with_trace(properties, trace),
        None => properties,
    }
}

/// Waits for the broker's confirm, at most [`CONFIRM_TIMEOUT`].
async fn confirmed(confirm: PublisherConfirm) -> Result<Confirmation, PublishError> {
    match tokio::time::timeout(CONFIRM_TIMEOUT, confirm).await {
        Ok(confirmation) => Ok(confirmation?),
        Err(_) => Err(PublishError::ConfirmTimedOut),
    }
}

fn mandatory() -> BasicPublishOptions {
    BasicPublishOptions {
        mandatory: true,
        ..BasicPublishOptions::default()
    }
}

fn settle(
    confirmation: Confirmation,
    exchange: &str,
    routing_key: &str,
) -> Result<(), PublishError> {
    if confirmation.is_nack() {
        return Err(PublishError::Nacked);
    }
    match confirmation.take_message() {
        Some(_) => Err(PublishError::Unroutable {
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
        }),
        None => Ok(()),
    }
}
