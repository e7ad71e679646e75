//! Broker topology as data: exchange, queue and binding names, dead-letter
//! wiring, and the AMQP header names autobook uses. The broker crate
//! declares exactly this; nothing else invents a queue name.
//!
//! Layout for namespace `autobook` (tests use their own namespace):
//!
//! - `autobook.commands` (topic): commands, routing key = message type
//! - `autobook.events` (topic): events, routing key = message type
//!   (topic exchanges, so that RabbitMQ's topic permissions can limit the
//!   routing keys each identity may publish; bindings name exact keys)
//! - `autobook.dead-letter` (direct): routing key = source queue name
//! - queues `autobook.<role>` for orchestrator, search, payment, order,
//!   notify, each with `autobook.<role>.dead-letter`

use crate::message::{MessageKind, MessageType, QueueRole};

/// Header and property names on AMQP messages.
pub mod headers {
    /// Mirrors the envelope's `schema_version`.
    pub const SCHEMA_VERSION: &str = "schema_version";
    /// W3C `traceparent`: the span that published the message. It wins
    /// over the envelope's (see `autobook_broker::propagation`).
    pub const TRACEPARENT: &str = "traceparent";
    /// W3C `tracestate`, sent with `traceparent` when there is one.
    pub const TRACESTATE: &str = "tracestate";
    /// Set on dead-lettered messages: a human-readable reason.
    pub const DEAD_LETTER_REASON: &str = "x-autobook-reason";
    /// Set on dead-lettered messages: a stable error code.
    pub const DEAD_LETTER_CODE: &str = "x-autobook-error-code";
    /// Set on dead-lettered messages: the queue the message was taken from.
    pub const DEAD_LETTER_SOURCE: &str = "x-autobook-source-queue";
    /// Set on dead-lettered messages: RFC 3339 time of dead-lettering.
    pub const DEAD_LETTERED_AT: &str = "x-autobook-dead-lettered-at";
    /// Set on dead-lettered messages: a UUID naming this dead letter, so
    /// archiving it twice keeps one copy.
    pub const DEAD_LETTER_ID: &str = "x-autobook-dead-letter-id";
    /// Deliveries of this message that ended in a transient failure and
    /// went through a retry queue (absent: none).
    pub const ATTEMPTS: &str = "x-autobook-attempts";
    /// Set on retried messages: the code of the last transient failure.
    pub const LAST_ERROR_CODE: &str = "x-autobook-last-error-code";
    /// Set on retried messages: the last transient failure.
    pub const LAST_ERROR_REASON: &str = "x-autobook-last-error-reason";
    /// The broker user that first sent the message; kept when the message
    /// is retried, dead-lettered or replayed (see `crate::senders`).
    pub const SENDER: &str = "x-autobook-sender";
    /// `v1=<kid>:<hex>`: the HMAC-SHA256 of the sender and the body, under
    /// the message key `kid` (see `autobook_broker::signing`).
    pub const SIGNATURE: &str = "x-autobook-signature";
}

/// Pauses before each retry of a transiently failed message, in order;
/// after the last one the message is dead-lettered.
pub const DEFAULT_RETRY_DELAYS_MS: &[u32] = &[1_000, 5_000, 30_000, 120_000, 600_000];

/// The content type of every autobook message body.
pub const CONTENT_TYPE: &str = "application/json";

/// How an exchange routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeType {
    /// By exact routing key.
    Direct,
    /// By routing-key pattern; ours bind exact keys, so it routes as
    /// `Direct` would, and RabbitMQ's topic permissions apply to it.
    Topic,
}

/// An exchange to declare (all are durable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeDecl {
    pub name: String,
    pub kind: ExchangeType,
}

/// How a queue keeps its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueKind {
    /// Replicated through Raft (`x-queue-type: quorum`): on every node of a
    /// cluster, a message confirmed only once a majority holds it
    /// (`AUTOBOOK_QUEUE_TYPE=quorum`).
    Quorum,
    /// One node's queue (the default).
    Classic,
}

/// Deliveries of one message to a work queue's consumers after which the
/// broker dead-letters it (`x-delivery-limit`): a last guard against a
/// message that crashes its consumer every time, beside autobook's own retry
/// schedule (which counts attempts in a header and never redelivers).
pub const DELIVERY_LIMIT: u32 = 20;

/// A queue to declare, with its dead-letter wiring and bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDecl {
    pub name: String,
    pub kind: QueueKind,
    /// Deliveries before the broker dead-letters a message (quorum only).
    pub delivery_limit: Option<u32>,
    /// Where the broker sends messages it rejects or expires.
    pub dead_letter: Option<(String, String)>,
    /// (exchange, routing key) pairs.
    pub bindings: Vec<(String, String)>,
    /// Delete the queue after this long unused (`x-expires`), for tests.
    pub expires_ms: Option<u32>,
    /// Messages expire (and are dead-lettered) after this long (`x-message-ttl`).
    pub message_ttl_ms: Option<u32>,
}

/// Everything the broker must hold for one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declarations {
    pub exchanges: Vec<ExchangeDecl>,
    pub queues: Vec<QueueDecl>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid namespace: use 1 to 64 characters of a-z 0-9 . _ -")]
pub struct NamespaceError;

/// Names of everything in the broker for one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    namespace: String,
    expires_ms: Option<u32>,
    retry_delays_ms: Vec<u32>,
    queue_kind: QueueKind,
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            namespace: Self::DEFAULT_NAMESPACE.to_owned(),
            expires_ms: None,
            retry_delays_ms: DEFAULT_RETRY_DELAYS_MS.to_vec(),
            queue_kind: QueueKind::Classic,
        }
    }
}

impl Topology {
    pub const DEFAULT_NAMESPACE: &'static str = "autobook";

    pub fn new(namespace: &str) -> Result<Self, NamespaceError> {
        let ok = !namespace.is_empty()
            && namespace.len() <= 64
            && namespace
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if ok {
            Ok(Topology {
                namespace: namespace.to_owned(),
                ..Topology::default()
            })
        } else {
            Err(NamespaceError)
        }
    }

    /// Queues of this topology vanish after `ms` without consumers (tests).
    pub fn with_queue_expiry(mut self, ms: u32) -> Self {
        self.expires_ms = Some(ms);
        self
    }

    /// Retry pauses (ms), one retry queue each; empty: dead-letter at once.
    /// Each queue is named after its pause, so changing them never clashes
    /// with queues already declared.
    pub fn with_retry_delays_ms(mut self, delays: Vec<u32>) -> Self {
        self.retry_delays_ms = delays;
        self
    }

    /// Declares quorum queues (`AUTOBOOK_QUEUE_TYPE=quorum`).
    pub fn with_quorum_queues(mut self) -> Self {
        self.queue_kind = QueueKind::Quorum;
        self
    }

    /// Declares classic queues (the default).
    pub fn with_classic_queues(mut self) -> Self {
        self.queue_kind = QueueKind::Classic;
        self
    }

    pub fn queue_kind(&self) -> QueueKind {
        self.queue_kind
    }

    pub fn retry_delays_ms(&self) -> &[u32] {
        &self.retry_delays_ms
    }

    /// The retry queue a message of `role` waits in before attempt
    /// `attempt` (from 1); None once the retries are used up.
    pub fn retry_queue(&self, role: QueueRole, attempt: u32) -> Option<String> {
        let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
        let delay = self.retry_delays_ms.get(index)?;
        Some(format!(
            "{}.{}.retry.{delay}ms",
            self.namespace,
            role.as_str()
        ))
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn commands_exchange(&self) -> String {
        format!("{}.commands", self.namespace)
    }

    pub fn events_exchange(&self) -> String {
        format!("{}.events", self.namespace)
    }

    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dead-letter", self.namespace)
    }

    pub fn queue(&self, role: QueueRole) -> String {
        format!("{}.{}", self.namespace, role.as_str())
    }

    pub fn dead_letter_queue(&self, role: QueueRole) -> String {
        format!("{}.{}.dead-letter", self.namespace, role.as_str())
    }

    /// The exchange a message of this type is published to.
    pub fn exchange_for(&self, message_type: MessageType) -> String {
        match message_type.kind() {
            MessageKind::Command => self.commands_exchange(),
            MessageKind::Event => self.events_exchange(),
        }
    }

    /// The routing key of a message type: its wire name.
    pub fn routing_key(&self, message_type: MessageType) -> &'static str {
        message_type.as_str()
    }

    /// Every exchange, queue and binding of the namespace.
    pub fn declarations(&self) -> Declarations {
        let exchanges = [
            (self.commands_exchange(), ExchangeType::Topic),
            (self.events_exchange(), ExchangeType::Topic),
            (self.dead_letter_exchange(), ExchangeType::Direct),
        ]
        .into_iter()
        .map(|(name, kind)| ExchangeDecl { name, kind })
        .collect();
        let mut queues = Vec::new();
        for role in QueueRole::ALL {
            let name = self.queue(*role);
            let bindings = role
                .message_types()
                .map(|t| (self.exchange_for(t), t.as_str().to_owned()))
                .collect();
            let limit = (self.queue_kind == QueueKind::Quorum).then_some(DELIVERY_LIMIT);
            queues.push(QueueDecl {
                name: name.clone(),
                kind: self.queue_kind,
                delivery_limit: limit,
                dead_letter: Some((self.dead_letter_exchange(), name.clone())),
                bindings,
                expires_ms: self.expires_ms,
                message_ttl_ms: None,
            });
            queues.push(QueueDecl {
                name: self.dead_letter_queue(*role),
                kind: self.queue_kind,
                delivery_limit: None,
                dead_letter: None,
                bindings: vec![(self.dead_letter_exchange(), name.clone())],
                expires_ms: self.expires_ms,
                message_ttl_ms: None,
            });
            // Retry queues have no consumer: a message waits out the TTL, then
            // the broker dead-letters it through the default exchange back
            // into the work queue.
            let mut seen = std::collections::BTreeSet::new();
            for (index, delay) in self.retry_delays_ms.iter().enumerate() {
                if !seen.insert(*delay) {
                    continue;
                }
                let attempt = u32::try_from(index + 1).unwrap_or(u32::MAX);
                queues.push(QueueDecl {
                    name: self.retry_queue(*role, attempt).unwrap_or_default(),
                    kind: self.queue_kind,
                    delivery_limit: None,
                    dead_letter: Some((String::new(), name.clone())),
                    bindings: Vec::new(),
                    expires_ms: self.expires_ms,
                    message_ttl_ms: Some(*delay),
                });
            }
        }
        Declarations { exchanges, queues }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_type_is_bound_to_exactly_one_queue() {
        let decl = Topology::default().declarations();
        for t in MessageType::ALL {
            let bound: Vec<_> = decl
                .queues
                .iter()
                .filter(|q| q.bindings.iter().any(|(_, key)| key == t.as_str()))
                .collect();
            assert_eq!(bound.len(), 1, "{t}");
        }
    }

    #[test]
    fn every_consumer_queue_dead_letters_into_its_own_queue() {
        let topology = Topology::new("t1").unwrap();
        let decl = topology.declarations();
        for role in QueueRole::ALL {
            let queue = decl
                .queues
                .iter()
                .find(|q| q.name == topology.queue(*role))
                .unwrap();
            let (dlx, key) = queue.dead_letter.clone().unwrap();
            let dlq = decl
                .queues
                .iter()
                .find(|q| q.name == topology.dead_letter_queue(*role))
                .unwrap();
            assert_eq!(dlq.bindings, vec![(dlx, key)]);
        }
    }

    #[test]
    fn quorum_queues_are_declared_on_request_and_work_queues_limit_deliveries() {
        assert!(
            Topology::new("t3")
                .unwrap()
                .declarations()
                .queues
                .iter()
                .all(|q| q.kind == QueueKind::Classic),
            "classic by default"
        );
        let topology = Topology::new("t3").unwrap().with_quorum_queues();
        let decl = topology.declarations();
        assert!(decl.queues.iter().all(|q| q.kind == QueueKind::Quorum));
        for queue in &decl.queues {
            let is_work_queue = QueueRole::ALL
                .iter()
                .any(|r| topology.queue(*r) == queue.name);
            assert_eq!(
                queue.delivery_limit,
                is_work_queue.then_some(DELIVERY_LIMIT),
                "{}",
                queue.name
            );
        }
        let classic = topology.with_classic_queues().declarations();
        assert!(
            classic
                .queues
                .iter()
                .all(|q| q.kind == QueueKind::Classic && q.delivery_limit.is_none())
        );
    }

    #[test]
    fn retry_queues_expire_back_into_their_work_queue() {
        let topology = Topology::new("t2")
            .unwrap()
            .with_retry_delays_ms(vec![100, 400]);
        assert_eq!(
            topology.retry_queue(QueueRole::Payment, 1).as_deref(),
            Some("t2.payment.retry.100ms")
        );
        assert_eq!(
            topology.retry_queue(QueueRole::Payment, 2).as_deref(),
            Some("t2.payment.retry.400ms")
        );
        assert_eq!(topology.retry_queue(QueueRole::Payment, 3), None);
        assert_eq!(topology.retry_queue(QueueRole::Payment, 0), None);
        let decl = topology.declarations();
        let retry = decl
            .queues
            .iter()
            .find(|q| q.name == "t2.payment.retry.400ms")
            .unwrap();
        assert_eq!(retry.message_ttl_ms, Some(400));
        assert_eq!(
            retry.dead_letter,
            Some((String::new(), "t2.payment".to_owned()))
        );
        assert!(retry.bindings.is_empty());
    }

    #[test]
    fn namespaces_are_validated() {
        assert!(Topology::new("t_123.abc-x").is_ok());
        assert!(Topology::new("").is_err());
        assert!(Topology::new("Upper").is_err());
        assert!(Topology::new("a b").is_err());
    }
}
