//! # autobook-broker
//!
//! RabbitMQ plumbing shared by the orchestrator and the workers:
//!
//! - [`identity`]: how a role reaches the broker as its own user, and
//!   [`connection`]: connecting (and reconnecting);
//! - [`signing`]: the message keys and the signatures they make, and
//!   [`admission`]: what every message says about its sender and what a
//!   consumer checks before handling one;
//! - [`declare`]: declaring (and, for tests, deleting) the topology that
//!   `autobook_contracts::topology` describes (`declarations`: through one
//!   channel, as a new connection does again);
//! - [`outgoing`]: a message ready to publish, and [`publisher`]: publishing with publisher confirms and `mandatory`, so
//!   a message counts as sent only once the broker has routed and stored it;
//! - [`consumer`]: a consumer loop with a prefetch limit that decodes each
//!   delivery, hands it to a [`consumer::Handler`], and acks only after the
//!   handler is done; bad messages are dead-lettered with their reason;
//! - [`properties`]: AMQP properties and headers of autobook messages;
//! - `sealing`: travellers' personal fields sealed on the way out and
//!   opened on the way in, with the keyring given to the [`Broker`];
//! - [`queue_depth`]: how many messages wait in each queue (consumer lag);
//! - [`propagation`]: the W3C trace context in AMQP headers (the header
//!   wins over the envelope's), and [`spans`]: the `handle` and `publish`
//!   spans linked through it;
//! - [`crash`]: crash points, a test switch that aborts the process at a
//!   named point.

pub mod admission;
pub mod connection;
pub mod consumer;
pub mod crash;
mod declarations;
pub mod declare;
pub mod error;
pub mod identity;
pub mod metric_definitions;
pub mod outgoing;
pub mod propagation;
pub mod properties;
pub mod publisher;
pub mod queue_depth;
pub mod quorum;
mod sealing;
pub mod signing;
pub mod spans;

pub use connection::Broker;
pub use consumer::{DeliveryContext, Disposition, Handler, run_consumer};
pub use error::{BrokerError, PublishError};
pub use identity::{BrokerAccess, Password};
pub use outgoing::OutgoingMessage;
pub use publisher::Publisher;
pub use signing::MessageKeys;
