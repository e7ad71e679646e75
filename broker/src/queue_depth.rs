//! Consumer lag: how many messages wait in each queue of the namespace.
//!
//! Read with passive declares (which create and change nothing) on one
//! short-lived channel, and recorded as gauges per consumer role and queue
//! kind. A role's retry queues (one per retry pause) are summed.

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;

use autobook_contracts::QueueRole;

use crate::connection::Broker;
use crate::error::BrokerError;
use crate::metric_definitions::{QUEUE_CONSUMERS, QUEUE_MESSAGES_READY};

/// Which queue of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueKind {
    /// The queue the role consumes.
    Work,
    /// The queues where transiently failed messages wait out their pause.
    Retry,
    /// Where messages that cannot be handled end up.
    DeadLetter,
}

impl QueueKind {
    /// The `kind` label.
    pub fn as_str(&self) -> &'static str {
        match self {
            QueueKind::Work => "work",
            QueueKind::Retry => "retry",
            QueueKind::DeadLetter => "dead_letter",
        }
    }
}

/// What one queue (or a role's retry queues together) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    pub role: QueueRole,
    pub kind: QueueKind,
    /// Messages ready for delivery.
    pub ready: u64,
    pub consumers: u64,
}

/// Reads the depth of every queue of the broker's namespace.
pub async fn sample(broker: &Broker) -> Result<Vec<QueueDepth>, BrokerError> {
    let topology = broker.topology();
    let channel = broker.channel().await?;
    let mut depths = Vec::new();
    for role in QueueRole::ALL {
        for (kind, name) in queues_of(topology, *role) {
            let options = QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            };
            let queue = channel
                .queue_declare(name.clone().into(), options, FieldTable::default())
                .await
                .map_err(|source| BrokerError::Declare {
                    what: format!("passive queue {name}"),
                    source,
                })?;
            depths.push(QueueDepth {
                role: *role,
                kind,
                ready: u64::from(queue.message_count()),
                consumers: u64::from(queue.consumer_count()),
            });
        }
    }
    let _ = channel.close(200, "sampled".into()).await;
    Ok(combine(depths))
}

/// The queues of one role with their kinds; each retry pause has its own queue.
fn queues_of(topology: &autobook_contracts::Topology, role: QueueRole) -> Vec<(QueueKind, String)> {
    let mut queues = vec![
        (QueueKind::Work, topology.queue(role)),
        (QueueKind::DeadLetter, topology.dead_letter_queue(role)),
    ];
    let attempts = u32::try_from(topology.retry_delays_ms().len()).unwrap_or(u32::MAX);
    for attempt in 1..=attempts {
        if let Some(name) = topology.retry_queue(role, attempt)
            && !queues.iter().any(|(_, known)| *known == name)
        {
            queues.push((QueueKind::Retry, name));
        }
    }
    queues
}

/// One entry per role and kind, summing queues of the same kind.
pub fn combine(depths: Vec<QueueDepth>) -> Vec<QueueDepth> {
    let mut combined: Vec<QueueDepth> = Vec::new();
    for depth in depths {
        match combined
            .iter_mut()
            .find(|c| c.role == depth.role && c.kind == depth.kind)
        {
            Some(known) => {
                known.ready += depth.ready;
                known.consumers += depth.consumers;
            }
            None => combined.push(depth),
        }
    }
    combined
}

/// Sets the gauges. Consumers are reported for work queues only (nothing
/// consumes retry queues; the archiver consumes the dead-letter queues).
pub fn record(depths: &[QueueDepth]) {
    for depth in depths {
        let (queue, kind) = (depth.role.as_str(), depth.kind.as_str());
        metrics::gauge!(QUEUE_MESSAGES_READY, "queue" => queue, "kind" => kind)
            .set(depth.ready as f64);
        if depth.kind == QueueKind::Work {
            metrics::gauge!(QUEUE_CONSUMERS, "queue" => queue).set(depth.consumers as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use autobook_contracts::Topology;

    use super::*;

    #[test]
    fn every_retry_pause_is_one_queue_even_when_repeated() {
        let topology = Topology::new("t")
            .unwrap_or_default()
            .with_retry_delays_ms(vec![100, 100, 400]);
        let queues = queues_of(&topology, QueueRole::Payment);
        assert_eq!(
            queues,
            vec![
                (QueueKind::Work, "t.payment".to_owned()),
                (QueueKind::DeadLetter, "t.payment.dead-letter".to_owned()),
                (QueueKind::Retry, "t.payment.retry.100ms".to_owned()),
                (QueueKind::Retry, "t.payment.retry.400ms".to_owned()),
            ]
        );
    }

    #[test]
    fn retry_queues_of_a_role_are_summed() {
        let depth = |role, kind, ready| QueueDepth {
            role,
            kind,
            ready,
            consumers: 0,
        };
        let combined = combine(vec![
            depth(QueueRole::Order, QueueKind::Work, 3),
            depth(QueueRole::Order, QueueKind::Retry, 2),
            depth(QueueRole::Order, QueueKind::Retry, 5),
            depth(QueueRole::Notify, QueueKind::Retry, 1),
        ]);
        assert_eq!(
            combined,
            vec![
                depth(QueueRole::Order, QueueKind::Work, 3),
                depth(QueueRole::Order, QueueKind::Retry, 7),
                depth(QueueRole::Notify, QueueKind::Retry, 1),
            ]
        );
    }
}
