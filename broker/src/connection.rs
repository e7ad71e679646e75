//! A connection to RabbitMQ for one namespace of the topology, replaced by
//! a fresh one whenever it is lost.
//!
//! Reconnection is ours rather than lapin's automatic recovery: when the
//! broker goes away every channel of the old connection fails fast (pending
//! publishes and consumers see an error instead of waiting on a recovery
//! that may never finish), and the next caller that needs a channel opens a
//! new connection and re-declares the topology. Attempts are spaced by a
//! growing pause (200 ms doubling to 3 s) shared by every caller, so an
//! outage is waited out without a busy loop and without ever giving up.
//! Consumers re-subscribe, and publishers re-open their confirm channels;
//! whatever was unconfirmed is published again by its owner (the outbox
//! relay, a worker's reply), which consumers de-duplicate by message id.
//!
//! A connection logs in as one identity ([`crate::identity`]); whatever it
//! publishes carries that identity and is signed with its message keys, and
//! its consumers check both on what they receive ([`crate::admission`]).
//! Only the identities that declare the topology re-declare it on a new
//! connection.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties};

use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;
use autobook_vault::Keyring;

use crate::declarations::declare_on;
use crate::error::BrokerError;
use crate::signing::MessageKeys;

/// The first pause after a failed connection attempt.
const FIRST_PAUSE: Duration = Duration::from_millis(200);
/// The longest pause between two connection attempts.
const LONGEST_PAUSE: Duration = Duration::from_secs(3);

/// A broker connection plus the names of the topology it works in. Cheap to
/// clone; clones share the connection.
#[derive(Clone)]
pub struct Broker {
    shared: Arc<Shared>,
    topology: Topology,
    duplicate_deliveries: bool,
    /// Seals personal fields of published bodies and opens received ones.
    vault: Option<Keyring>,
}

struct Shared {
    /// Carries the password: never logged.
    uri: AMQPUri,
    identity: Identity,
    keys: MessageKeys,
    name: String,
    current: Mutex<Arc<Connection>>,
    /// Held while a new connection is being made, so only one caller does it.
    reconnecting: tokio::sync::Mutex<Attempts>,
}

/// Failed attempts since the connection was last up.
#[derive(Default)]
struct Attempts {
    failures: u32,
    last: Option<Instant>,
}

impl Attempts {
    /// How long to wait after the last failure before trying again.
    fn pause(&self) -> Duration {
        if self.failures == 0 {
            return Duration::ZERO;
        }
        let doublings = (self.failures - 1).min(8);
        FIRST_PAUSE
            .saturating_mul(1 << doublings)
            .min(LONGEST_PAUSE)
    }

    fn wait(&self) -> Duration {
        match self.last {
            Some(last) => self.pause().saturating_sub(last.elapsed()),
            None => Duration::ZERO,
        }
    }
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("namespace", &self.topology.namespace())
            .field("identity", &self.shared.identity)
            .finish()
    }
}

async fn open(uri: &AMQPUri, name: &str) -> Result<Connection, BrokerError> {
    let properties = ConnectionProperties::default().with_connection_name(name.to_owned().into());
    Connection::connect_uri(uri.clone(), properties)
        .await
        .map_err(BrokerError::Connect)
}

impl Broker {
    /// Connects once to `uri`, which logs in as `identity` (see
    /// `BrokerAccess::connect`), signing with `keys`.
    pub(crate) async fn connect(
        uri: AMQPUri,
        identity: Identity,
        keys: MessageKeys,
        connection_name: &str,
        topology: Topology,
    ) -> Result<Broker, BrokerError> {
        let connection = open(&uri, connection_name).await?;
        Ok(Broker {
            shared: Arc::new(Shared {
                uri,
                identity,
                keys,
                name: connection_name.to_owned(),
                current: Mutex::new(Arc::new(connection)),
                reconnecting: tokio::sync::Mutex::new(Attempts::default()),
            }),
            topology,
            duplicate_deliveries: false,
            vault: None,
        })
    }

    /// Publishers opened on this broker seal the personal fields of every
    /// body with `vault`, and its consumers open them (and refuse bodies
    /// whose personal fields are not sealed).
    pub fn with_vault(mut self, vault: Keyring) -> Self {
        self.vault = Some(vault);
        self
    }

    pub fn vault(&self) -> Option<&Keyring> {
        self.vault.as_ref()
    }

    /// A test switch: every message published through this connection is
    /// published twice (same message id and body), so every consumer sees
    /// every message delivered twice.
    pub fn with_duplicate_deliveries(mut self, on: bool) -> Self {
        self.duplicate_deliveries = on;
        self
    }

    pub fn duplicate_deliveries(&self) -> bool {
        self.duplicate_deliveries
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Who this connection logs in as.
    pub fn identity(&self) -> Identity {
        self.shared.identity
    }

    /// The keys its messages are signed, and others' verified, with.
    pub fn keys(&self) -> &MessageKeys {
        &self.shared.keys
    }

    fn current(&self) -> Arc<Connection> {
        match self.shared.current.lock() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The live connection, replacing a lost one first. Fails when the
    /// broker cannot be reached now; the caller waits and asks again (the
    /// attempts themselves are spaced here, whoever asks).
    async fn connection(&self) -> Result<Arc<Connection>, BrokerError> {
        let current = self.current();
        if current.status().connected() {
            return Ok(current);
        }
        let mut attempts = self.shared.reconnecting.lock().await;
        let current = self.current();
        if current.status().connected() {
            return Ok(current);
        }
        let wait = attempts.wait();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        attempts.last = Some(Instant::now());
        match self.reopen().await {
            Ok(fresh) => {
                tracing::info!(
                    connection = %self.shared.name,
                    failed_attempts = attempts.failures,
                    "reconnected to the broker"
                );
                attempts.failures = 0;
                Ok(fresh)
            }
            Err(error) => {
                attempts.failures = attempts.failures.saturating_add(1);
                tracing::warn!(
                    connection = %self.shared.name,
                    failures = attempts.failures,
                    %error,
                    "broker unreachable; will try again"
                );
                Err(error)
            }
        }
    }

    /// Opens a new connection, re-declares the topology on it (if this
    /// identity declares it) and makes it the current one.
    async fn reopen(&self) -> Result<Arc<Connection>, BrokerError> {
        let fresh = Arc::new(open(&self.shared.uri, &self.shared.name).await?);
        if self.shared.identity.declares_topology() {
            let channel = fresh.create_channel().await.map_err(BrokerError::Channel)?;
            match declare_on(&channel, &self.topology).await {
                Ok(()) => {
                    let _ = channel.close(200, "declared".into()).await;
                }
                // Declaring is idempotent and durable queues survive a restart:
                // a refusal here is reported, not a reason to stay disconnected.
                Err(error) => tracing::warn!(%error, "could not re-declare the topology"),
            }
        }
        let previous = match self.shared.current.lock() {
            Ok(mut current) => std::mem::replace(&mut *current, fresh.clone()),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), fresh.clone()),
        };
        drop(previous);
        Ok(fresh)
    }

    /// A new channel on the live connection (reconnecting if need be).
    pub async fn channel(&self) -> Result<Channel, BrokerError> {
        self.connection()
            .await?
            .create_channel()
            .await
            .map_err(BrokerError::Channel)
    }

    /// Whether the connection is currently usable (for readiness checks).
    pub fn is_connected(&self) -> bool {
        self.current().status().connected()
    }

    pub async fn close(&self) {
        // Closing an already closed connection is not an error worth reporting.
        let _ = self.current().close(200, "shutting down".into()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_from_the_first_to_the_longest() {
        let pauses: Vec<Duration> = (0..12)
            .map(|failures| {
                Attempts {
                    failures,
                    last: None,
                }
                .pause()
            })
            .collect();
        assert_eq!(pauses[0], Duration::ZERO);
        assert_eq!(pauses[1], FIRST_PAUSE);
        assert_eq!(pauses[2], FIRST_PAUSE * 2);
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(pauses[11], LONGEST_PAUSE);
    }

    #[test]
    fn no_wait_before_the_first_attempt() {
        assert_eq!(Attempts::default().wait(), Duration::ZERO);
    }
}
