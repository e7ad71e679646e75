//! Moving a namespace's classic queues (what versions before quorum queues
//! declared) to quorum queues, without losing a message: what `autobook
//! migrate` does before it declares the topology.
//!
//! A queue's type cannot change, so each classic queue is replaced, with
//! its messages parked meanwhile in a temporary quorum queue
//! (`<queue>.migrating`):
//!
//! 1. the temporary queue is declared and bound like the queue, then the
//!    queue is unbound: new messages go to the temporary queue (for a
//!    moment to both: consumers de-duplicate by message id);
//! 2. the queue's messages are moved into it one by one (each published
//!    with its properties and headers, confirmed, then acked);
//! 3. the empty classic queue is deleted and declared again as a quorum
//!    queue with its bindings;
//! 4. the temporary queue is unbound, its messages moved back, and it is
//!    deleted.
//!
//! Retry queues go first: once they are quorum queues their expired
//! messages are dead-lettered at least once, so one that expires while its
//! work queue is being replaced waits instead of being dropped. A run that
//! stops half-way is finished by the next one (a temporary queue left with
//! messages is emptied into its queue). Stop the consumers (the roles)
//! first: a consumer of a queue being replaced loses it.

use lapin::Channel;
use lapin::options::{
    BasicAckOptions, BasicGetOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;

use autobook_contracts::topology::{QueueDecl, QueueKind};

use crate::connection::Broker;
use crate::declarations::{declare_queue_only, other_queue_type};
use crate::error::BrokerError;
use crate::publisher::Publisher;

/// Attempts at emptying and deleting a queue that keeps receiving
/// messages (expired retries arriving by the default exchange).
const DELETE_ATTEMPTS: usize = 20;

/// A classic queue replaced by a quorum queue, and the messages moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedQueue {
    pub queue: String,
    pub messages: u64,
}

fn declare_error(what: String) -> impl FnOnce(lapin::Error) -> BrokerError {
    move |source| BrokerError::Declare { what, source }
}

/// Moves every classic queue of `broker`'s namespace to a quorum queue,
/// with its messages; queues already of the right type are left alone.
pub async fn move_classic_queues(broker: &Broker) -> Result<Vec<MovedQueue>, BrokerError> {
    let mut queues = broker.topology().declarations().queues;
    queues.retain(|q| q.kind == QueueKind::Quorum);
    // Retry queues first (they have a message TTL), then the work queues
    // (they dead-letter), then the dead-letter queues.
    queues.sort_by_key(|q| (q.message_ttl_ms.is_none(), q.dead_letter.is_none()));
    let publisher = Publisher::open(broker).await?;
    let mut moved = Vec::new();
    for queue in &queues {
        if let Some(done) = move_one(broker, &publisher, queue).await? {
            tracing::warn!(queue = %done.queue, messages = done.messages, "moved a classic queue to a quorum queue");
            moved.push(done);
        }
    }
    Ok(moved)
}

/// The temporary queue `queue`'s messages wait in: a quorum queue with its
/// bindings and dead-letter wiring, but no TTL (nothing expires while it
/// waits) and no expiry.
fn parking(queue: &QueueDecl) -> QueueDecl {
    QueueDecl {
        name: format!("{}.migrating", queue.name),
        kind: QueueKind::Quorum,
        delivery_limit: None,
        dead_letter: queue
            .message_ttl_ms
            .is_none()
            .then(|| queue.dead_letter.clone())
            .flatten(),
        bindings: queue.bindings.clone(),
        expires_ms: None,
        message_ttl_ms: None,
    }
}

async fn move_one(
    broker: &Broker,
    publisher: &Publisher,
    queue: &QueueDecl,
) -> Result<Option<MovedQueue>, BrokerError> {
    let temporary = parking(queue);
    let channel = broker.channel().await?;
    let classic = match declare_queue_only(&channel, queue).await {
        Ok(()) => false,
        Err(error) if other_queue_type(&error) => true,
        Err(error) => return Err(declare_error(format!("queue {}", queue.name))(error)),
    };
    if classic {
        // Only a queue the classic declaration agrees with is replaced.
        let older = QueueDecl {
            kind: QueueKind::Classic,
            delivery_limit: None,
            ..queue.clone()
        };
        declare_queue_only(&broker.channel().await?, &older)
            .await
            .map_err(declare_error(format!(
                "queue {} (neither quorum nor classic as declared)",
                queue.name
            )))?;
    } else {
        let _ = channel.close(200, "declared".into()).await;
    }
    let channel = broker.channel().await?;
    let mut messages = 0;
    if classic {
        declare_queue_only(&channel, &temporary)
            .await
            .map_err(declare_error(format!("queue {}", temporary.name)))?;
        bind(&channel, &temporary, true).await?;
        bind(&channel, queue, false).await?;
        messages = empty_and_delete(
            broker,
            publisher,
            &queue.name,
            &temporary.name,
            QueueKind::Classic,
        )
        .await?;
        let channel = broker.channel().await?;
        declare_queue_only(&channel, queue)
            .await
            .map_err(declare_error(format!("queue {}", queue.name)))?;
        bind(&channel, queue, true).await?;
    } else if !exists(broker, &temporary.name).await? {
        let _ = channel.close(200, "checked".into()).await;
        return Ok(None);
    }
    let _ = channel.close(200, "replaced".into()).await;
    // A temporary queue (this run's, or one an interrupted run left).
    let channel = broker.channel().await?;
    bind(&channel, &temporary, false).await?;
    empty_and_delete(
        broker,
        publisher,
        &temporary.name,
        &queue.name,
        QueueKind::Quorum,
    )
    .await?;
    let _ = channel.close(200, "moved".into()).await;
    Ok(Some(MovedQueue {
        queue: queue.name.clone(),
        messages,
    }))
}

/// Binds (`bind`) or unbinds `queue` from its bindings.
async fn bind(channel: &Channel, queue: &QueueDecl, bind: bool) -> Result<(), BrokerError> {
    for (exchange, routing_key) in &queue.bindings {
        let what = format!("binding {exchange} -> {}", queue.name);
        if bind {
            channel
                .queue_bind(
                    queue.name.clone().into(),
                    exchange.clone().into(),
                    routing_key.clone().into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await
                .map_err(declare_error(what))?;
        } else {
            channel
                .queue_unbind(
                    queue.name.clone().into(),
                    exchange.clone().into(),
                    routing_key.clone().into(),
                    FieldTable::default(),
                )
                .await
                .map_err(declare_error(what))?;
        }
    }
    Ok(())
}

async fn exists(broker: &Broker, queue: &str) -> Result<bool, BrokerError> {
    let channel = broker.channel().await?;
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let found = channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .is_ok();
    if found {
        let _ = channel.close(200, "checked".into()).await;
    }
    Ok(found)
}

/// Moves every message of `from` into `to`, then deletes `from` once it is
/// empty (moving again what arrived meanwhile); the messages moved. A
/// classic queue is deleted only if empty (the broker checks); a quorum
/// queue (the temporary one, unbound by then: nothing reaches it) does not
/// take that flag, so it is counted empty first.
async fn empty_and_delete(
    broker: &Broker,
    publisher: &Publisher,
    from: &str,
    to: &str,
    from_kind: QueueKind,
) -> Result<u64, BrokerError> {
    let mut moved = 0;
    for _ in 0..DELETE_ATTEMPTS {
        let channel = broker.channel().await?;
        moved += drain(&channel, publisher, from, to).await?;
        let deleted = match from_kind {
            QueueKind::Classic => {
                let only_if_empty = QueueDeleteOptions {
                    if_empty: true,
                    ..QueueDeleteOptions::default()
                };
                // A refusal (a message arrived) closes the channel: the
                // next round opens another.
                channel
                    .queue_delete(from.into(), only_if_empty)
                    .await
                    .is_ok()
            }
            QueueKind::Quorum => {
                if ready(broker, from).await? == 0 {
                    let left = channel
                        .queue_delete(from.into(), QueueDeleteOptions::default())
                        .await
                        .map_err(declare_error(format!("deleting queue {from}")))?;
                    if left > 0 {
                        tracing::error!(
                            queue = from,
                            left,
                            "messages arrived in a temporary queue as it was deleted"
                        );
                    }
                    true
                } else {
                    false
                }
            }
        };
        if deleted {
            let _ = channel.close(200, "deleted".into()).await;
            return Ok(moved);
        }
    }
    Err(BrokerError::QueueBusy {
        queue: from.to_owned(),
    })
}

/// Messages ready in `queue`.
async fn ready(broker: &Broker, queue: &str) -> Result<u32, BrokerError> {
    let channel = broker.channel().await?;
    let passive = QueueDeclareOptions {
        passive: true,
        ..QueueDeclareOptions::default()
    };
    let declared = channel
        .queue_declare(queue.into(), passive, FieldTable::default())
        .await
        .map_err(declare_error(format!("counting queue {queue}")))?;
    let _ = channel.close(200, "counted".into()).await;
    Ok(declared.message_count())
}

/// Moves `from`'s messages into `to`, each confirmed before it is acked.
async fn drain(
    channel: &Channel,
    publisher: &Publisher,
    from: &str,
    to: &str,
) -> Result<u64, BrokerError> {
    let mut moved = 0;
    while let Some(message) = channel
        .basic_get(from.into(), BasicGetOptions { no_ack: false })
        .await
        .map_err(declare_error(format!("reading queue {from}")))?
    {
        let delivery = message.delivery;
        publisher
            .publish_exactly("", to, &delivery.data, delivery.properties.clone())
            .await?;
        delivery
            .ack(BasicAckOptions::default())
            .await
            .map_err(declare_error(format!("acking a message moved from {from}")))?;
        moved += 1;
    }
    Ok(moved)
}
