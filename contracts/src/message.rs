//! The registry of every message: its wire name, schema version, whether it
//! is a command or an event, and which queue consumes it. One list drives
//! the enum, the codec, the topology and the JSON Schemas, so they cannot
//! disagree.

use schemars::Schema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::IdempotencyKey;
use crate::commands::*;
use crate::events::*;
use crate::trip::TripRequest;

/// Whether a message asks for work or reports a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    Command,
    Event,
}

/// A consumer queue, by the role that consumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueueRole {
    Orchestrator,
    Search,
    Payment,
    Order,
    Notify,
}

impl QueueRole {
    pub const ALL: &'static [QueueRole] = &[
        QueueRole::Orchestrator,
        QueueRole::Search,
        QueueRole::Payment,
        QueueRole::Order,
        QueueRole::Notify,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            QueueRole::Orchestrator => "orchestrator",
            QueueRole::Search => "search",
            QueueRole::Payment => "payment",
            QueueRole::Order => "order",
            QueueRole::Notify => "notify",
        }
    }

    /// The message types this queue receives.
    pub fn message_types(&self) -> impl Iterator<Item = MessageType> + '_ {
        MessageType::ALL
            .iter()
            .copied()
            .filter(move |t| t.consumer() == *self)
    }
}

/// Decodes one payload type whichever it is: [`Message::from_payload_json`]
/// picks the type, the decoder says how a payload is read and refused
/// ([`crate::refusal::PayloadRefusals`]), so the registry knows nothing of
/// refusals.
pub(crate) trait DecodePayload {
    type Error;

    fn decode<T: DeserializeOwned>(&self, payload: serde_json::Value) -> Result<T, Self::Error>;
}

macro_rules! messages {
    ($( $variant:ident($payload:ty) = $name:literal, version $version:literal, $kind:ident -> $queue:ident; )*) => {
        /// Every message of the booking saga.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Message {
            $( $variant($payload), )*
        }

        /// The type of a message, named on the wire by [`MessageType::as_str`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MessageType {
            $( $variant, )*
        }

        impl MessageType {
            pub const ALL: &'static [MessageType] = &[ $( MessageType::$variant, )* ];

            /// The wire name, also the routing key.
            pub fn as_str(&self) -> &'static str {
                match self { $( MessageType::$variant => $name, )* }
            }

            pub fn parse(name: &str) -> Option<MessageType> {
                match name { $( $name => Some(MessageType::$variant), )* _ => None }
            }

            /// The newest payload schema version this build understands.
            pub fn schema_version(&self) -> u16 {
                match self { $( MessageType::$variant => $version, )* }
            }

            pub fn kind(&self) -> MessageKind {
                match self { $( MessageType::$variant => MessageKind::$kind, )* }
            }

            /// The queue whose consumer handles this message.
            pub fn consumer(&self) -> QueueRole {
                match self { $( MessageType::$variant => QueueRole::$queue, )* }
            }

            /// The JSON Schema of this type's payload, as a root schema.
            pub fn payload_schema(&self) -> Schema {
                match self { $( MessageType::$variant => schemars::schema_for!($payload), )* }
            }
        }

        impl Message {
            pub fn message_type(&self) -> MessageType {
                match self { $( Message::$variant(_) => MessageType::$variant, )* }
            }

            pub(crate) fn payload_json(&self) -> serde_json::Result<serde_json::Value> {
                match self { $( Message::$variant(p) => serde_json::to_value(p), )* }
            }

            /// The payload of `message_type`, decoded by `decoder`, or its
            /// refusal.
            pub(crate) fn from_payload_json<D: DecodePayload>(message_type: MessageType, payload: serde_json::Value, decoder: &D) -> Result<Message, D::Error> {
                match message_type { $( MessageType::$variant => decoder.decode(payload).map(Message::$variant), )* }
            }
        }

        $(
            impl From<$payload> for Message {
                fn from(payload: $payload) -> Self { Message::$variant(payload) }
            }
        )*
    };
}

messages! {
    TripRequested(TripRequest) = "trip.requested", version 1, Event -> Orchestrator;
    SearchOffers(SearchOffers) = "search.offers", version 1, Command -> Search;
    OffersFound(OffersFound) = "search.offers_found", version 1, Event -> Orchestrator;
    SearchFailed(SearchFailed) = "search.failed", version 1, Event -> Orchestrator;
    AuthorizePayment(AuthorizePayment) = "payment.authorize", version 1, Command -> Payment;
    PaymentAuthorized(PaymentAuthorized) = "payment.authorized", version 1, Event -> Orchestrator;
    PaymentDeclined(PaymentDeclined) = "payment.declined", version 1, Event -> Orchestrator;
    PaymentFailed(PaymentFailed) = "payment.failed", version 1, Event -> Orchestrator;
    CreateOrder(CreateOrder) = "order.create", version 1, Command -> Order;
    OrderCreated(OrderCreated) = "order.created", version 1, Event -> Orchestrator;
    OrderFailed(OrderFailed) = "order.failed", version 1, Event -> Orchestrator;
    CapturePayment(CapturePayment) = "payment.capture", version 1, Command -> Payment;
    PaymentCaptured(PaymentCaptured) = "payment.captured", version 1, Event -> Orchestrator;
    CaptureFailed(CaptureFailed) = "payment.capture_failed", version 1, Event -> Orchestrator;
    VoidHold(VoidHold) = "payment.void", version 1, Command -> Payment;
    HoldVoided(HoldVoided) = "payment.voided", version 1, Event -> Orchestrator;
    VoidFailed(VoidFailed) = "payment.void_failed", version 1, Event -> Orchestrator;
    CancelOrder(CancelOrder) = "order.cancel", version 1, Command -> Order;
    OrderCancelled(OrderCancelled) = "order.cancelled", version 1, Event -> Orchestrator;
    CancelFailed(CancelFailed) = "order.cancel_failed", version 1, Event -> Orchestrator;
    SendNotification(SendNotification) = "notification.send", version 1, Command -> Notify;
    NotificationSent(NotificationSent) = "notification.sent", version 1, Event -> Orchestrator;
    NotificationFailed(NotificationFailed) = "notification.failed", version 1, Event -> Orchestrator;
    TimerFired(TimerFired) = "saga.timer_fired", version 1, Event -> Orchestrator;
    StepOutcomeUnknown(StepOutcomeUnknown) = "step.outcome_unknown", version 1, Event -> Orchestrator;
    RetryRequested(RetryRequested) = "saga.retry_requested", version 1, Event -> Orchestrator;
    AbortRequested(AbortRequested) = "saga.abort_requested", version 1, Event -> Orchestrator;
    StepDeferred(StepDeferred) = "step.deferred", version 1, Event -> Orchestrator;
    ResumeRequested(ResumeRequested) = "saga.resume_requested", version 1, Event -> Orchestrator;
    TripCancelRequested(TripCancelRequested) = "trip.cancel_requested", version 1, Event -> Orchestrator;
    RefundPayment(RefundPayment) = "payment.refund", version 1, Command -> Payment;
    PaymentRefunded(PaymentRefunded) = "payment.refunded", version 1, Event -> Orchestrator;
    RefundFailed(RefundFailed) = "payment.refund_failed", version 1, Event -> Orchestrator;
    PaymentIntentUpdated(PaymentIntentUpdated) = "payment.intent_updated", version 1, Event -> Orchestrator;
}

impl Message {
    /// The idempotency key of the step this message belongs to: commands
    /// carry it to the provider, replies echo it, timers name it.
    pub fn idempotency_key(&self) -> Option<&IdempotencyKey> {
        match self {
            Message::TripRequested(_) => None,
            Message::SearchOffers(m) => Some(&m.idempotency_key),
            Message::OffersFound(m) => Some(&m.idempotency_key),
            Message::SearchFailed(m) => Some(&m.idempotency_key),
            Message::AuthorizePayment(m) => Some(&m.idempotency_key),
            Message::PaymentAuthorized(m) => Some(&m.idempotency_key),
            Message::PaymentDeclined(m) => Some(&m.idempotency_key),
            Message::PaymentFailed(m) => Some(&m.idempotency_key),
            Message::CreateOrder(m) => Some(&m.idempotency_key),
            Message::OrderCreated(m) => Some(&m.idempotency_key),
            Message::OrderFailed(m) => Some(&m.idempotency_key),
            Message::CapturePayment(m) => Some(&m.idempotency_key),
            Message::PaymentCaptured(m) => Some(&m.idempotency_key),
            Message::CaptureFailed(m) => Some(&m.idempotency_key),
            Message::VoidHold(m) => Some(&m.idempotency_key),
            Message::HoldVoided(m) => Some(&m.idempotency_key),
            Message::VoidFailed(m) => Some(&m.idempotency_key),
            Message::CancelOrder(m) => Some(&m.idempotency_key),
            Message::OrderCancelled(m) => Some(&m.idempotency_key),
            Message::CancelFailed(m) => Some(&m.idempotency_key),
            Message::SendNotification(m) => Some(&m.idempotency_key),
            Message::NotificationSent(m) => Some(&m.idempotency_key),
            Message::NotificationFailed(m) => Some(&m.idempotency_key),
            Message::TimerFired(TimerFired { timer }) => Some(timer.idempotency_key()),
            Message::StepOutcomeUnknown(m) => Some(&m.idempotency_key),
            Message::StepDeferred(m) => Some(&m.idempotency_key),
            Message::RefundPayment(m) => Some(&m.idempotency_key),
            Message::PaymentRefunded(m) => Some(&m.idempotency_key),
            Message::RefundFailed(m) => Some(&m.idempotency_key),
            Message::RetryRequested(_)
            | Message::AbortRequested(_)
            | Message::ResumeRequested(_)
            | Message::TripCancelRequested(_)
            | Message::PaymentIntentUpdated(_) => None,
        }
    }
}

impl std::fmt::Display for MessageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for t in MessageType::ALL {
            assert_eq!(MessageType::parse(t.as_str()), Some(*t));
            assert!(seen.insert(t.as_str()));
        }
        assert_eq!(MessageType::parse("trip.cancelled"), None);
    }

    #[test]
    fn commands_go_to_workers_and_events_to_the_orchestrator() {
        for t in MessageType::ALL {
            let to_orchestrator = t.consumer() == QueueRole::Orchestrator;
            assert_eq!(t.kind() == MessageKind::Event, to_orchestrator, "{t}");
        }
    }
}
