//! One module per subcommand, and the start-up every long-running role shares.

pub mod console;
pub mod gateway;
pub mod migrate;
pub mod orchestrator;
pub mod reconcile;
pub mod sandbox;
pub mod schemas;
pub mod worker;

use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use autobook_broker::Broker;
use autobook_contracts::senders::Identity;

use autobook_roles::log_settings::LogSettings;
use autobook_roles::settings::ServiceSettings;
use autobook_roles::{ops, services, shutdown};

/// A broker/instance name: role, host and process id.
pub fn instance_name(role: &str, configured: Option<&str>) -> String {
    configured.map(str::to_owned).unwrap_or_else(|| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "local".into());
        format!("{role}-{host}-{}", std::process::id())
    })
}

/// What a running role holds: its connections (one to the broker per
/// identity it runs as) and its shutdown signal.
pub struct Role {
    pub pool: PgPool,
    pub brokers: Vec<(Identity, Broker)>,
    pub shutdown: CancellationToken,
}

impl Role {
    /// Listens for SIGINT/SIGTERM, waits for the services (creating the
    /// database, migrating, connecting as each of `identities`), and
    /// serves the ops endpoints when asked to.
    pub async fn start(
        settings: &ServiceSettings,
        identities: &[Identity],
        instance: &str,
        logging: &LogSettings,
        metrics: Option<PrometheusHandle>,
    ) -> anyhow::Result<Role> {
        let shutdown = shutdown::on_signal();
        services::ensure_database(&settings.connections.database_url).await?;
        let (pool, brokers) = services::connect(settings, identities, instance).await?;
        if let Some(addr) = logging.ops_addr {
            ops::spawn(
                addr,
                Some(pool.clone()),
                brokers.clone(),
                metrics,
                shutdown.clone(),
            );
        }
        Ok(Role {
            pool,
            brokers: identities.iter().copied().zip(brokers).collect(),
            shutdown,
        })
    }

    /// The connection of `identity`.
    pub fn broker(&self, identity: Identity) -> anyhow::Result<Broker> {
        self.brokers
            .iter()
            .find(|(i, _)| *i == identity)
            .map(|(_, broker)| broker.clone())
            .ok_or_else(|| anyhow::anyhow!("no broker connection as {identity}"))
    }

    /// Closes the connections after the role has drained.
    pub async fn close(self) {
        for (_, broker) in &self.brokers {
            broker.close().await;
        }
        self.pool.close().await;
    }
}
