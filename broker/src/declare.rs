//! Declares the topology of `autobook_contracts::topology` on the broker:
//! durable exchanges, durable queues with dead-letter wiring, and their
//! bindings. Declaring is idempotent. Only the identities allowed to
//! (orchestrator, ops) declare; the others wait until what they use
//! exists ([`check_topology`]).

use lapin::ExchangeKind;
use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;

use autobook_contracts::topology::ExchangeDecl;

use crate::connection::Broker;
use crate::declarations::{declare_exchange, declare_on};
use crate::error::BrokerError;

/// Declares every exchange, queue and binding of the broker's namespace,
/// replacing an exchange that exists with another type.
pub async fn declare_topology(broker: &Broker) -> Result<(), BrokerError> {
    for exchange in &broker.topology().declarations().exchanges {
        replace_if_retyped(broker, exchange).await?;
    }
    let channel = broker.channel().await?;
    declare_on(&channel, broker.topology()).await?;
    let _ = channel.close(200, "declared".into()).await;
    Ok(())
}

/// Declares `exchange`; if it exists with another type (a namespace an
/// older version declared with direct exchanges), deletes it and declares
/// it anew. Its bindings go with it and are made again with the queues';
/// a message published in between is unroutable, and its publisher (which
/// publishes with `mandatory`) sends it again.
async fn replace_if_retyped(broker: &Broker, exchange: &ExchangeDecl) -> Result<(), BrokerError> {
    let failed = |source| BrokerError::Declare {
        what: format!("exchange {}", exchange.name),
        source,
    };
    let channel = broker.channel().await?;
    match declare_exchange(&channel, exchange).await {
        Ok(()) => {
            let _ = channel.close(200, "declared".into()).await;
            return Ok(());
        }
        Err(error) if !precondition_failed(&error) => return Err(failed(error)),
        Err(_) => {}
    }
    // The refusal closed that channel.
    let channel = broker.channel().await?;
    channel
        .exchange_delete(
            exchange.name.clone().into(),
            ExchangeDeleteOptions::default(),
        )
        .await
        .map_err(failed)?;
    declare_exchange(&channel, exchange).await.map_err(failed)?;
    tracing::warn!(exchange = %exchange.name, "replaced an exchange declared with another type");
    let _ = channel.close(200, "declared".into()).await;
    Ok(())
}

fn precondition_failed(error: &lapin::Error) -> bool {
    matches!(error.kind(), lapin::ErrorKind::ProtocolError(e) if e.get_id() == 406)
}

/// Checks that what `broker`'s identity uses exists: the events exchange
/// and, for a consumer, its queue. Passive declarations need no right to
/// declare; a missing one is an error naming it.
pub async fn check_topology(broker: &Broker) -> Result<(), BrokerError> {
    let topology = broker.topology();
    let channel = broker.channel().await?;
    let exchange = topology.events_exchange();
    let passive = ExchangeDeclareOptions {
        passive: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            exchange.clone().into(),
            ExchangeKind::Topic,
            passive,
            FieldTable::default(),
        )
        .await
        .map_err(|source| BrokerError::Declare {
            what: format!("exchange {exchange} (not declared yet)"),
            source,
        })?;
    if let Some(role) = broker.identity().queue() {
        let queue = topology.queue(role);
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        channel
            .queue_declare(queue.clone().into(), passive, FieldTable::default())
            .await
            .map_err(|source| BrokerError::Declare {
                what: format!("queue {queue} (not declared yet)"),
                source,
            })?;
    }
    let _ = channel.close(200, "checked".into()).await;
    Ok(())
}

/// Deletes every queue and exchange of the namespace (tests clean up with this).
pub async fn delete_topology(broker: &Broker) -> Result<(), BrokerError> {
    let channel = broker.channel().await?;
    let declarations = broker.topology().declarations();
    for queue in &declarations.queues {
        channel
            .queue_delete(queue.name.clone().into(), QueueDeleteOptions::default())
            .await
            .map_err(|source| BrokerError::Declare {
                what: format!("deleting queue {}", queue.name),
                source,
            })?;
    }
    for exchange in &declarations.exchanges {
        channel
            .exchange_delete(
                exchange.name.clone().into(),
                ExchangeDeleteOptions::default(),
            )
            .await
            .map_err(|source| BrokerError::Declare {
                what: format!("deleting exchange {}", exchange.name),
                source,
            })?;
    }
    let _ = channel.close(200, "deleted".into()).await;
    Ok(())
}
