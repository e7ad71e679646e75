//! Declaring the topology's exchanges, durable queues (with their
//! dead-letter wiring) and bindings through one channel: what
//! [`crate::declare`] does for its callers, and what a connection does
//! again on every new connection ([`crate::connection`]).

use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, ExchangeKind};

use autobook_contracts::Topology;
use autobook_contracts::topology::{ExchangeDecl, ExchangeType, QueueDecl};

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

async fn declare_queue(channel: &Channel, queue: &QueueDecl) -> Result<(), BrokerError> {
    let mut arguments = FieldTable::default();
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
    let options = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    channel
        .queue_declare(queue.name.clone().into(), options, arguments)
        .await
        .map_err(|source| BrokerError::Declare {
            what: format!("queue {}", queue.name),
            source,
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
