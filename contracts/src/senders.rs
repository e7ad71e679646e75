//! Who may send what. Every role connects to the broker as an identity of
//! its own (RabbitMQ user `autobook-<role>`), stamps that user in each
//! message's `user_id` (which RabbitMQ checks against the connection's
//! login), and a consumer accepts a message only from the identities this
//! module allows for its type:
//!
//! | message types | sent by |
//! |---|---|
//! | `trip.requested` | gateway, publisher (a foreign gateway) |
//! | `trip.cancel_requested` | gateway (a traveller), orchestrator (an erasure) |
//! | `payment.intent_updated` | gateway (its Stripe webhook receiver) |
//! | every command | orchestrator, ops |
//! | `search.*` replies | search worker |
//! | `payment.*` replies | payment worker |
//! | `order.*` replies | order worker |
//! | `notification.*` replies | notify worker |
//! | `step.outcome_unknown`, `step.deferred` | any worker |
//! | `saga.timer_fired` | orchestrator |
//! | `saga.retry_requested`, `saga.abort_requested`, `saga.resume_requested` | orchestrator, ops |
//!
//! Some identities pass on a message another one sent, unchanged and with
//! its signature: a consumer sends a message of its own queue to be retried
//! or to the dead-letter queue, and ops replays dead letters. Such a relay
//! names the original sender in a header; [`Identity::relays_to`] says who
//! may relay onto which queue.

use crate::message::{MessageKind, MessageType, QueueRole};

/// The prefix of every identity's broker user name.
pub const USER_PREFIX: &str = "autobook-";

/// A broker identity: who a message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    /// The travellers' HTTP API and its Stripe webhook receiver.
    Gateway,
    /// A gateway of someone else's that submits trip requests.
    Publisher,
    Orchestrator,
    Search,
    Payment,
    Order,
    Notify,
    /// The operators' tool: declares the topology, replays dead letters.
    Ops,
}

impl Identity {
    pub const ALL: &'static [Identity] = &[
        Identity::Gateway,
        Identity::Publisher,
        Identity::Orchestrator,
        Identity::Search,
        Identity::Payment,
        Identity::Order,
        Identity::Notify,
        Identity::Ops,
    ];

    /// The role's name (`payment`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Identity::Gateway => "gateway",
            Identity::Publisher => "publisher",
            Identity::Orchestrator => "orchestrator",
            Identity::Search => "search",
            Identity::Payment => "payment",
            Identity::Order => "order",
            Identity::Notify => "notify",
            Identity::Ops => "ops",
        }
    }

    /// The broker user (`autobook-payment`).
    pub fn user(&self) -> &'static str {
        match self {
            Identity::Gateway => "autobook-gateway",
            Identity::Publisher => "autobook-publisher",
            Identity::Orchestrator => "autobook-orchestrator",
            Identity::Search => "autobook-search",
            Identity::Payment => "autobook-payment",
            Identity::Order => "autobook-order",
            Identity::Notify => "autobook-notify",
            Identity::Ops => "autobook-ops",
        }
    }

    /// The identity whose broker user is `user`, if any.
    pub fn from_user(user: &str) -> Option<Identity> {
        Identity::ALL.iter().copied().find(|i| i.user() == user)
    }

    /// The identity named `role` (`payment`), if any.
    pub fn parse(role: &str) -> Option<Identity> {
        Identity::ALL.iter().copied().find(|i| i.as_str() == role)
    }

    /// The identity whose consumers take the messages of `queue`.
    pub fn consuming(queue: QueueRole) -> Identity {
        match queue {
            QueueRole::Orchestrator => Identity::Orchestrator,
            QueueRole::Search => Identity::Search,
            QueueRole::Payment => Identity::Payment,
            QueueRole::Order => Identity::Order,
            QueueRole::Notify => Identity::Notify,
        }
    }

    /// The queue this identity consumes, if it consumes one.
    pub fn queue(&self) -> Option<QueueRole> {
        match self {
            Identity::Orchestrator => Some(QueueRole::Orchestrator),
            Identity::Search => Some(QueueRole::Search),
            Identity::Payment => Some(QueueRole::Payment),
            Identity::Order => Some(QueueRole::Order),
            Identity::Notify => Some(QueueRole::Notify),
            Identity::Gateway | Identity::Publisher | Identity::Ops => None,
        }
    }

    /// Whether this identity may pass on onto `queue` a message another
    /// identity sent: the queue's own consumer (retries and dead letters of
    /// what it took from the queue) and ops (replays of dead letters).
    pub fn relays_to(&self, queue: QueueRole) -> bool {
        *self == Identity::consuming(queue) || *self == Identity::Ops
    }

    /// Whether this identity may send messages of type `message_type`.
    pub fn may_send(&self, message_type: MessageType) -> bool {
        senders_of(message_type).contains(self)
    }

    /// The message types this identity may send, of one kind.
    pub fn sends(&self, kind: MessageKind) -> impl Iterator<Item = MessageType> + '_ {
        MessageType::ALL
            .iter()
            .copied()
            .filter(move |t| t.kind() == kind && self.may_send(*t))
    }

    /// Whether this identity declares the topology (and so needs the
    /// right to create and delete exchanges and queues); the others wait
    /// for it to exist.
    pub fn declares_topology(&self) -> bool {
        match self {
            Identity::Orchestrator | Identity::Ops => true,
            Identity::Gateway
            | Identity::Publisher
            | Identity::Search
            | Identity::Payment
            | Identity::Order
            | Identity::Notify => false,
        }
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

const WORKERS: &[Identity] = &[
    Identity::Search,
    Identity::Payment,
    Identity::Order,
    Identity::Notify,
];
const COMMANDERS: &[Identity] = &[Identity::Orchestrator, Identity::Ops];

/// The identities allowed to send messages of `message_type`. Every type
/// is named: a new one must be given its senders here.
pub fn senders_of(message_type: MessageType) -> &'static [Identity] {
    use MessageType as T;
    match message_type {
        T::TripRequested => &[Identity::Gateway, Identity::Publisher],
        T::TripCancelRequested => &[Identity::Gateway, Identity::Orchestrator],
        T::PaymentIntentUpdated => &[Identity::Gateway],
        T::SearchOffers
        | T::AuthorizePayment
        | T::CreateOrder
        | T::CapturePayment
        | T::VoidHold
        | T::CancelOrder
        | T::SendNotification
        | T::RefundPayment => COMMANDERS,
        T::OffersFound | T::SearchFailed => &[Identity::Search],
        T::PaymentAuthorized
        | T::PaymentDeclined
        | T::PaymentFailed
        | T::PaymentCaptured
        | T::CaptureFailed
        | T::HoldVoided
        | T::VoidFailed
        | T::PaymentRefunded
        | T::RefundFailed => &[Identity::Payment],
        T::OrderCreated | T::OrderFailed | T::OrderCancelled | T::CancelFailed => {
            &[Identity::Order]
        }
        T::NotificationSent | T::NotificationFailed => &[Identity::Notify],
        T::StepOutcomeUnknown | T::StepDeferred => WORKERS,
        T::TimerFired => &[Identity::Orchestrator],
        T::RetryRequested | T::AbortRequested | T::ResumeRequested => COMMANDERS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_and_names_round_trip() {
        for identity in Identity::ALL {
            assert_eq!(Identity::from_user(identity.user()), Some(*identity));
            assert_eq!(Identity::parse(identity.as_str()), Some(*identity));
            assert_eq!(
                identity.user(),
                format!("{USER_PREFIX}{}", identity.as_str())
            );
        }
        assert_eq!(Identity::from_user("guest"), None);
        assert_eq!(Identity::from_user("payment"), None);
    }

    #[test]
    fn commands_come_only_from_the_orchestrator_or_ops() {
        for t in MessageType::ALL {
            if t.kind() == MessageKind::Command {
                assert_eq!(senders_of(*t), COMMANDERS, "{t}");
            }
        }
    }

    #[test]
    fn a_workers_replies_come_only_from_that_worker_kind() {
        let cases = [
            ("search.", Identity::Search),
            ("payment.", Identity::Payment),
            ("order.", Identity::Order),
            ("notification.", Identity::Notify),
        ];
        for t in MessageType::ALL {
            let Some((_, worker)) = cases.iter().find(|(p, _)| t.as_str().starts_with(p)) else {
                continue;
            };
            if t.kind() == MessageKind::Event && *t != MessageType::PaymentIntentUpdated {
                assert_eq!(senders_of(*t), &[*worker], "{t}");
            }
        }
    }

    #[test]
    fn every_type_has_a_sender_and_trip_requests_come_from_gateways() {
        for t in MessageType::ALL {
            assert!(!senders_of(*t).is_empty(), "{t}");
        }
        let trip: Vec<_> = Identity::ALL
            .iter()
            .filter(|i| i.may_send(MessageType::TripRequested))
            .collect();
        assert_eq!(trip, [&Identity::Gateway, &Identity::Publisher]);
        assert_eq!(
            Identity::Publisher
                .sends(MessageKind::Event)
                .collect::<Vec<_>>(),
            [MessageType::TripRequested]
        );
        assert_eq!(Identity::Publisher.sends(MessageKind::Command).count(), 0);
    }

    #[test]
    fn only_a_queues_consumer_and_ops_relay_onto_it() {
        for queue in QueueRole::ALL {
            let relays: Vec<_> = Identity::ALL
                .iter()
                .filter(|i| i.relays_to(*queue))
                .copied()
                .collect();
            let mut expected = vec![Identity::consuming(*queue), Identity::Ops];
            expected.sort();
            assert_eq!(relays, expected, "{queue:?}");
            assert_eq!(Identity::consuming(*queue).queue(), Some(*queue));
        }
    }
}
