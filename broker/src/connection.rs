//! A connection to RabbitMQ for one namespace of the topology.

use lapin::{Channel, Connection, ConnectionProperties};

use autobook_contracts::Topology;

use crate::error::BrokerError;

/// A broker connection plus the names of the topology it works in.
#[derive(Clone)]
pub struct Broker {
    connection: std::sync::Arc<Connection>,
    topology: Topology,
    duplicate_deliveries: bool,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker")
            .field("namespace", &self.topology.namespace())
            .finish()
    }
}

impl Broker {
    /// Connects with automatic connection and topology recovery. The URL
    /// may carry credentials; it is never logged.
    pub async fn connect(
        url: &str,
        connection_name: &str,
        topology: Topology,
    ) -> Result<Broker, BrokerError> {
        let properties = ConnectionProperties::default()
            .with_connection_name(connection_name.to_owned().into())
            .enable_auto_recover();
        let connection = Connection::connect(url, properties)
            .await
            .map_err(BrokerError::Connect)?;
        Ok(Broker {
            connection: std::sync::Arc::new(connection),
            topology,
            duplicate_deliveries: false,
        })
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

    pub async fn channel(&self) -> Result<Channel, BrokerError> {
        self.connection
            .create_channel()
            .await
            .map_err(BrokerError::Channel)
    }

    /// Whether the connection is currently usable (for readiness checks).
    pub fn is_connected(&self) -> bool {
        self.connection.status().connected()
    }

    pub async fn close(&self) {
        // Closing an already closed connection is not an error worth reporting.
        let _ = self.connection.close(200, "shutting down".into()).await;
    }
}
