//! A hostile publisher for tests: a connection logged in as one of the
//! identities, publishing forged envelopes unsigned, badly signed, or
//! signed with the real message keys as any sender; and `rabbitmqctl`, to
//! set what only the broker's administrator can.

use lapin::BasicProperties;
use lapin::types::{AMQPValue, FieldTable};

use autobook_broker::admission::stamp;
use autobook_broker::{MessageKeys, PublishError, Publisher};
use autobook_contracts::senders::Identity;
use autobook_contracts::topology::headers;
use autobook_contracts::{Envelope, QueueRole, Topology};

use crate::TestSystem;

/// One connection of the hostile publisher, logged in as `identity`.
pub struct Hostile {
    pub publisher: Publisher,
    topology: Topology,
}

/// How a forgery is signed.
pub enum Signed<'a> {
    /// No signature at all.
    Not,
    /// A signature that is not one.
    Badly,
    /// With the real keys, as `sender` (leaked keys).
    As(Identity, &'a MessageKeys),
}

impl Hostile {
    pub async fn connect(system: &TestSystem, identity: Identity) -> Hostile {
        let publisher = system.stack().publisher_as(identity).await.unwrap();
        Hostile {
            publisher,
            topology: system.topology.clone(),
        }
    }

    /// Publishes `envelope` to `exchange` (empty: the default exchange,
    /// straight onto the queue named `routing_key`) with this connection's
    /// `user_id`, signed as `signed` says.
    pub async fn send(
        &self,
        envelope: &Envelope,
        exchange: &str,
        routing_key: &str,
        signed: Signed<'_>,
    ) -> Result<(), PublishError> {
        let body = envelope.encode();
        let me = self.publisher_user();
        let plain = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_message_id(envelope.message_id.to_string().into())
            .with_type(envelope.message_type().as_str().into());
        let properties = match signed {
            Signed::Not => plain,
            Signed::Badly => {
                let mut table = FieldTable::default();
                table.insert(
                    headers::SIGNATURE.into(),
                    AMQPValue::LongString(format!("v1=test:{}", "00".repeat(32)).into()),
                );
                plain.with_headers(table)
            }
            Signed::As(sender, keys) => stamp(plain, sender, keys, &body),
        };
        self.publisher
            .publish_exactly(
                exchange,
                routing_key,
                &body,
                properties.with_user_id(me.into()),
            )
            .await
    }

    /// To the exchange of the envelope's type, with its routing key.
    pub async fn publish(
        &self,
        envelope: &Envelope,
        signed: Signed<'_>,
    ) -> Result<(), PublishError> {
        let t = envelope.message_type();
        let exchange = self.topology.exchange_for(t);
        self.send(envelope, &exchange, t.as_str(), signed).await
    }

    /// Straight onto `queue`'s work queue through the default exchange.
    pub async fn onto(
        &self,
        queue: QueueRole,
        envelope: &Envelope,
        signed: Signed<'_>,
    ) -> Result<(), PublishError> {
        let name = self.topology.queue(queue);
        self.send(envelope, "", &name, signed).await
    }

    fn publisher_user(&self) -> &'static str {
        self.publisher.identity().user()
    }
}

/// Runs `rabbitmqctl` (or `$RABBITMQCTL`, e.g. through `docker compose
/// exec`), as `infra/rabbitmq-users.sh` does.
pub async fn rabbitmqctl(args: &[&str]) {
    let command = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".into());
    let mut words = command.split_whitespace();
    let program = words.next().unwrap();
    let status = tokio::process::Command::new(program)
        .args(words)
        .arg("-q")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap_or_else(|e| panic!("running {program} (set RABBITMQCTL): {e}"));
    assert!(status.success(), "rabbitmqctl {args:?}: {status}");
}
