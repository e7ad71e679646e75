//! Declaring the topology's exchanges, durable queues (with their
//! dead-letter wiring) and bindings through one channel: what
//! [`crate::declare`] does for its callers, and what a connection does
//! again on every new connection ([`crate::connection`]).

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use autobook_contracts::Topology;
use autobook_contracts::topology::{ExchangeDecl, ExchangeType, QueueDecl, QueueKind};

use crate::error::BrokerError;

/// Declares the topology through `channel`.
pub(crate) async fn declare_on(channel: &Channel, topology: &Topology) -> Result<(), BrokerError> {
    let declarations = topology.declarations();
    for exchange in &declarations.exchanges {
        declare_exchange(channel, exchange)
            .await
            .map_err(|source| BrokerError::Declare {
                what: format!("exchange {}", exchange.name),
                source,
            })?;
    }
    for queue in &declarations.queues {
        declare_queue(channel, queue).await?;
    }
    Ok(())
}

/// The arguments `queue` is declared with: its type, dead-letter wiring,
/// expiry, message TTL and delivery limit.
pub(crate) fn queue_arguments(queue: &QueueDecl) -> FieldTable {
    let mut arguments = FieldTable::default();
    match queue.kind {
        QueueKind::Quorum => {
            arguments.insert(
                "x-queue-type".into(),
                AMQPValue::LongString("quorum".into()),
            );
            if let Some(limit) = queue.delivery_limit {
                arguments.insert("x-delivery-limit".into(), AMQPValue::LongUInt(limit));
            }
            if queue.dead_letter.is_some() {
                // Dead-lettered (or expired out of a retry queue) at least
                // once: kept until the target queue has confirmed it, which
                // needs publishers refused rather than old messages dropped.
                arguments.insert(
                    "x-dead-letter-strategy".into(),
                    AMQPValue::LongString("at-least-once".into()),
                );
                arguments.insert(
                    "x-overflow".into(),
                    AMQPValue::LongString("reject-publish".into()),
                );
            }
        }
        QueueKind::Classic => {}
    }
    if let Some((exchange, routing_key)) = &queue.dead_letter {
        arguments.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(exchange.clone().into()),
        );
        arguments.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(routing_key.clone().into()),
        );
    }
    if let Some(ms) = queue.expires_ms {
        arguments.insert("x-expires".into(), AMQPValue::LongUInt(ms));
    }
    if let Some(ms) = queue.message_ttl_ms {
        arguments.insert("x-message-ttl".into(), AMQPValue::LongUInt(ms));
    }
    arguments
}

/// Declares `queue` (durable, with [`queue_arguments`]) without its bindings.
pub(crate) async fn declare_queue_only(
    channel: &Channel,
    queue: &QueueDecl,
) -> Result<(), lapin::Error> {
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(queue.name.clone().into(), options, queue_arguments(queue))
        .await
        .map(|_| ())
}

/// The arguments only a quorum declaration carries.
const QUORUM_ONLY: [&str; 4] = [
    "x-queue-type",
    "x-overflow",
    "x-dead-letter-strategy",
    "x-delivery-limit",
];

/// Whether `error` says the queue exists as another type (a classic queue
/// an older version declared, met by a quorum declaration).
pub(crate) fn other_queue_type(error: &lapin::Error) -> bool {
    let text = error.to_string();
    text.contains("but current is none")
        && QUORUM_ONLY
            .iter()
            .any(|arg| text.contains(&format!("inequivalent arg '{arg}'")))
}

async fn declare_queue(channel: &Channel, queue: &QueueDecl) -> Result<(), BrokerError> {
    declare_queue_only(channel, queue).await.map_err(|source| {
        if other_queue_type(&source) {
            BrokerError::OtherQueueType {
                queue: queue.name.clone(),
            }
        } else {
            BrokerError::Declare {
                what: format!("queue {}", queue.name),
                source,
            }
        }
    })?;
    for (exchange, routing_key) in &queue.bindings {
        channel
            .queue_bind(
                queue.name.clone().into(),
                exchange.clone().into(),
                routing_key.clone().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|source| BrokerError::Declare {
                what: format!("binding {exchange} -> {}", queue.name),
                source,
            })?;
    }
    Ok(())
}

/// Declares `exchange`, durable.
pub(crate) async fn declare_exchange(
    channel: &Channel,
    exchange: &ExchangeDecl,
) -> lapin::Result<()> {
    let options = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    let kind = match exchange.kind {
        ExchangeType::Direct => ExchangeKind::Direct,
        ExchangeType::Topic => ExchangeKind::Topic,
    };
    channel
        .exchange_declare(
            exchange.name.clone().into(),
            kind,
            options,
            FieldTable::default(),
        )
        .await
}
