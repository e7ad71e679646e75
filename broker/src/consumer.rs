//! The consumer loop shared by every role.
//!
//! Deliveries are checked ([`crate::admission`]: sender and signature),
//! opened (their personal fields, see [`crate::sealing`]),
//! decoded and handed to a [`Handler`] concurrently, at most
//! `prefetch` at a time (the broker's QoS limit). The message is acked only
//! after the handler returns [`Disposition::Ack`], i.e. after its effects
//! are committed or confirmed. Undecodable messages, messages the handler
//! rejects and handlers that panic are published to the queue's dead-letter
//! queue with their reason and then acked (so are messages from a sender
//! not allowed to send them, unsigned or badly signed: `forbidden_sender`,
//! `unsigned`, `bad_signature`). A transient failure sends the
//! message through the next retry queue of the topology (a queue whose TTL
//! returns it to the work queue), so waiting costs no consumer slot; once
//! the retries are used up it is dead-lettered. If any of those publishes
//! fails the message is requeued, never dropped.
//! On shutdown the loop stops taking deliveries and waits for in-flight
//! handlers; unacked prefetched messages return to the queue.
//!
//! Each delivery is handled and settled inside a `handle` span
//! ([`crate::spans`]) whose parent is the trace context of its
//! `traceparent` header (which wins over the envelope's, see
//! [`crate::propagation`]).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions,
};
use lapin::types::FieldTable;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use autobook_contracts::{Envelope, QueueRole};

use crate::admission::{self, Rejected};
use crate::connection::Broker;
use crate::error::BrokerError;
use crate::metric_definitions::{
    MESSAGE_HANDLING_SECONDS, MESSAGES_CONSUMED, MESSAGES_DEAD_LETTERED, MESSAGES_RETRIED,
};
use crate::publisher::Publisher;
use crate::signing::MessageKeys;
use crate::{propagation, properties, sealing, spans};

/// Pause before requeueing a message that could not be dead-lettered.
const DEAD_LETTER_RETRY_DELAY: Duration = Duration::from_millis(500);

/// What to do with a delivery once handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Done (including a recognised duplicate): ack.
    Ack,
    /// Permanently unprocessable: dead-letter with this reason, then ack.
    DeadLetter { code: String, reason: String },
    /// Transient failure: try again after the next retry pause, or
    /// dead-letter once the retries are used up.
    Retry { code: String, reason: String },
}

impl Disposition {
    pub fn dead_letter(code: impl Into<String>, reason: impl Into<String>) -> Self {
        Disposition::DeadLetter {
            code: code.into(),
            reason: reason.into(),
        }
    }

    pub fn retry(code: impl Into<String>, reason: impl Into<String>) -> Self {
        Disposition::Retry {
            code: code.into(),
            reason: reason.into(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Disposition::Ack => "ack",
            Disposition::DeadLetter { .. } => "dead_letter",
            Disposition::Retry { .. } => "retry",
        }
    }
}

/// Facts about the delivery a handler may need.
///
/// Only `redelivered` comes from the broker itself. `earlier_attempts` and
/// `final_attempt` are read from the `x-autobook-attempts` header, which
/// whoever publishes the message sets: use them only where a wrong value
/// is harmless (waiting longer, answering "outcome unknown" early), never
/// to take over work another handler may still be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryContext {
    pub queue: QueueRole,
    /// The broker delivered this message before: a consumer holding it
    /// died (or its channel closed) before settling it.
    pub redelivered: bool,
    /// Earlier attempts that ended in a retry, as the message's header says.
    pub earlier_attempts: u32,
    /// No retry is left after this attempt, as the message's header says: a
    /// transient failure now becomes a dead letter, so a handler that can
    /// still answer (say, "outcome unknown") should.
    pub final_attempt: bool,
}

/// Handles one decoded message.
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        envelope: Envelope,
        context: DeliveryContext,
    ) -> impl Future<Output = Disposition> + Send;
}

/// Consumer settings.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    pub queue: QueueRole,
    /// Most unacked deliveries held (and handled concurrently).
    pub prefetch: u16,
    /// Identifies this consumer in the broker's management views.
    pub consumer_tag: String,
}

/// Consumes until `shutdown` is cancelled, then drains in-flight work.
///
/// A failure to subscribe at start is returned. Once consuming, a lost
/// channel or connection is waited out: the loop subscribes again (on a new
/// connection if need be) after a growing pause. Handlers still running on
/// the lost channel are stopped as a crash would stop them: their messages,
/// unacked, come back as redeliveries whose handlers take the work over.
/// Creates the consumer's counters at zero for its queue (the retries, and
/// the dead letters of the codes the broker layer itself gives), so rates
/// and alerts see a series before its first event.
fn register_series(queue: QueueRole) {
    metrics::counter!(MESSAGES_RETRIED, "queue" => queue.as_str()).increment(0);
    for code in crate::admission::Refusal::CODES {
        metrics::counter!(MESSAGES_DEAD_LETTERED, "queue" => queue.as_str(), "code" => code)
            .increment(0);
    }
}

pub async fn run_consumer<H: Handler>(
    broker: &Broker,
    publisher: Publisher,
    options: ConsumerOptions,
    handler: Arc<H>,
    shutdown: CancellationToken,
) -> Result<(), BrokerError> {
    let queue_name = broker.topology().queue(options.queue);
    register_series(options.queue);
    let mut in_flight = JoinSet::new();
    let mut subscription = Some(subscribe(broker, &options, &queue_name).await?);
    let mut failures: u32 = 0;
    while !shutdown.is_cancelled() {
        let (channel, consumer) = match subscription.take() {
            Some(subscribed) => subscribed,
            None => match subscribe(broker, &options, &queue_name).await {
                Ok(subscribed) => {
                    tracing::info!(queue = %queue_name, "consuming again");
                    subscribed
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(queue = %queue_name, %error, failures, "cannot consume yet");
                    pause(&shutdown, &mut in_flight, failures).await;
                    continue;
                }
            },
        };
        failures = 0;
        let ended = consume(
            consumer,
            &options,
            &handler,
            &publisher,
            &shutdown,
            &mut in_flight,
        )
        .await;
        match ended {
            Ended::Shutdown => {
                let _ = channel
                    .basic_cancel(
                        options.consumer_tag.clone().into(),
                        BasicCancelOptions::default(),
                    )
                    .await;
                while in_flight.join_next().await.is_some() {}
                let _ = channel.close(200, "consumer stopped".into()).await;
            }
            Ended::Lost(why) => {
                failures = 1;
                tracing::warn!(queue = %queue_name, why = %why, in_flight = in_flight.len(), "consumer lost; subscribing again");
                // Their deliveries died with the channel and will be
                // redelivered, perhaps to another consumer that takes their
                // work over: stop them now, as a crash would, so that no
                // two handlers work on one message at once.
                in_flight.abort_all();
                while in_flight.join_next().await.is_some() {}
                pause(&shutdown, &mut in_flight, failures).await;
            }
        }
    }
    while in_flight.join_next().await.is_some() {}
    tracing::info!(queue = %queue_name, "consumer drained");
    Ok(())
}

type Subscription = (lapin::Channel, lapin::Consumer);

async fn subscribe(
    broker: &Broker,
    options: &ConsumerOptions,
    queue_name: &str,
) -> Result<Subscription, BrokerError> {
    let channel = broker.channel().await?;
    channel
        .basic_qos(options.prefetch, BasicQosOptions::default())
        .await
        .map_err(BrokerError::Channel)?;
    let consumer = channel
        .basic_consume(
            queue_name.to_owned().into(),
            options.consumer_tag.clone().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(|source| BrokerError::Consume {
            queue: queue_name.to_owned(),
            source,
        })?;
    tracing::info!(queue = %queue_name, prefetch = options.prefetch, "consuming");
    Ok((channel, consumer))
}

/// Why a subscription stopped delivering.
enum Ended {
    Shutdown,
    Lost(String),
}

/// Hands deliveries to the handler until shutdown or the subscription ends.
async fn consume<H: Handler>(
    mut consumer: lapin::Consumer,
    options: &ConsumerOptions,
    handler: &Arc<H>,
    publisher: &Publisher,
    shutdown: &CancellationToken,
    in_flight: &mut JoinSet<()>,
) -> Ended {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ended::Shutdown,
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
            next = consumer.next() => match next {
                Some(Ok(delivery)) => {
                    let task = process(delivery, options.queue, handler.clone(), publisher.clone());
                    in_flight.spawn(task);
                }
                Some(Err(error)) => return Ended::Lost(error.to_string()),
                None => return Ended::Lost("the broker cancelled the consumer".to_owned()),
            },
        }
    }
}

/// Waits before subscribing again (reaping finished handlers meanwhile):
/// 200 ms doubling up to 5 s, or until shutdown.
async fn pause(shutdown: &CancellationToken, in_flight: &mut JoinSet<()>, failures: u32) {
    let pause = Duration::from_millis(200u64.saturating_mul(1 << failures.min(5)))
        .min(Duration::from_secs(5));
    let until = tokio::time::sleep(pause);
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = &mut until => return,
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
}

/// The envelope of a delivery from an admitted sender, who may send its type.
/// Checks the sender and the signature (over the bytes as they travelled),
/// opens the personal fields, decodes, and checks that the sender may send
/// that type.
fn admit(
    delivery: &Delivery,
    queue: QueueRole,
    keys: &MessageKeys,
    vault: Option<&autobook_vault::Keyring>,
) -> Result<Envelope, Rejected> {
    let sender = admission::check(&delivery.properties, &delivery.data, queue, keys)?;
    let body = sealing::incoming(vault, &delivery.data)?;
    let envelope = Envelope::decode(&body)?;
    admission::check_type(sender, envelope.message_type())?;
    Ok(envelope)
}

async fn process<H: Handler>(
    delivery: Delivery,
    queue: QueueRole,
    handler: Arc<H>,
    publisher: Publisher,
) {
    let started = Instant::now();
    let mut decoded = admit(&delivery, queue, publisher.keys(), publisher.vault());
    let trace = propagation::incoming(
        propagation::from_headers(&delivery.properties),
        decoded.as_ref().ok().map(|envelope| &envelope.trace),
    );
    if let (Ok(envelope), Some(trace)) = (decoded.as_mut(), &trace) {
        envelope.trace = trace.clone();
    }
    let span = spans::handling(
        queue,
        decoded.as_ref().ok(),
        trace.as_ref(),
        delivery.redelivered,
    );
    let earlier_attempts = properties::attempts(&delivery.properties);
    let context = DeliveryContext {
        queue,
        redelivered: delivery.redelivered,
        earlier_attempts,
        final_attempt: publisher
            .topology()
            .retry_queue(queue, earlier_attempts.saturating_add(1))
            .is_none(),
    };
    async move {
        let disposition = match decoded {
            Ok(envelope) => {
                let handled = AssertUnwindSafe(handler.handle(envelope, context)).catch_unwind();
                match handled.await {
                    Ok(disposition) => disposition,
                    Err(panic) => {
                        let what = panic_text(panic.as_ref());
                        tracing::error!(queue = queue.as_str(), panic = %what, "handler panicked");
                        Disposition::dead_letter(
                            "handler_panicked",
                            format!("the handler panicked: {what}"),
                        )
                    }
                }
            }
            Err(error) => Disposition::dead_letter(error.code(), error.to_string()),
        };
        tracing::Span::current().record("disposition", disposition.label());
        if !matches!(disposition, Disposition::Ack) {
            spans::record_error();
        }
        metrics::counter!(MESSAGES_CONSUMED, "queue" => queue.as_str(), "disposition" => disposition.label()).increment(1);
        settle(&delivery, queue, disposition, &publisher).await;
        metrics::histogram!(MESSAGE_HANDLING_SECONDS, "queue" => queue.as_str())
            .record(started.elapsed().as_secs_f64());
    }
    .instrument(span)
    .await
}

/// A retry with none left becomes a dead letter that says so.
fn give_up_when_exhausted(
    disposition: Disposition,
    attempt: u32,
    queue: QueueRole,
    publisher: &Publisher,
) -> Disposition {
    match disposition {
        Disposition::Retry { code, reason }
            if publisher.topology().retry_queue(queue, attempt).is_none() =>
        {
            Disposition::dead_letter(
                format!("retries_exhausted:{code}"),
                format!("{reason} (gave up after {} retries)", attempt - 1),
            )
        }
        other => other,
    }
}

async fn settle(
    delivery: &Delivery,
    queue: QueueRole,
    disposition: Disposition,
    publisher: &Publisher,
) {
    let attempt = properties::attempts(&delivery.properties).saturating_add(1);
    let outcome = match give_up_when_exhausted(disposition, attempt, queue, publisher) {
        Disposition::Ack => delivery.ack(BasicAckOptions::default()).await,
        Disposition::DeadLetter { code, reason } => {
            match publisher.dead_letter(queue, delivery, &code, &reason).await {
                Ok(()) => {
                    tracing::warn!(queue = queue.as_str(), code = %code, reason = %reason, "message dead-lettered");
                    metrics::counter!(MESSAGES_DEAD_LETTERED, "queue" => queue.as_str(), "code" => code).increment(1);
                    delivery.ack(BasicAckOptions::default()).await
                }
                Err(error) => {
                    tracing::error!(queue = queue.as_str(), %error, "could not dead-letter; requeueing");
                    requeue_after_pause(delivery).await
                }
            }
        }
        Disposition::Retry { code, reason } => {
            match publisher
                .retry(queue, delivery, attempt, &code, &reason)
                .await
            {
                Ok(()) => {
                    tracing::info!(queue = queue.as_str(), code = %code, attempt, "message will be retried");
                    metrics::counter!(MESSAGES_RETRIED, "queue" => queue.as_str()).increment(1);
                    delivery.ack(BasicAckOptions::default()).await
                }
                Err(error) => {
                    tracing::error!(queue = queue.as_str(), %error, "could not schedule a retry; requeueing");
                    requeue_after_pause(delivery).await
                }
            }
        }
    };
    if let Err(error) = outcome {
        // The channel is gone: the broker will redeliver, and handlers are idempotent.
        tracing::warn!(queue = queue.as_str(), %error, "could not settle delivery; it will be redelivered");
    }
}

/// The broker would not take the message elsewhere: give it back, after a
/// pause so that a broker in trouble is not hammered.
async fn requeue_after_pause(delivery: &Delivery) -> lapin::Result<bool> {
    tokio::time::sleep(DEAD_LETTER_RETRY_DELAY).await;
    delivery
        .nack(BasicNackOptions {
            requeue: true,
            ..BasicNackOptions::default()
        })
        .await
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    autobook_contracts::envelope::sanitize(&text)
}
