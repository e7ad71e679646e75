//! `autobook demo --console`: the operations console on the demo's own
//! database while the trips run, and after the summary until Ctrl-C, so a
//! newcomer sees the sagas, their timelines and money in the browser.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use autobook_broker::{Broker, BrokerAccess, Publisher};
use autobook_console::settings::DEMO_USERS;
use autobook_console::{Console, ConsoleSettings};
use autobook_contracts::Topology;
use autobook_contracts::senders::Identity;
use autobook_vault::Keyring;

/// The console serving the demo's data.
pub struct DemoConsole {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    broker: Broker,
}

/// Starts the console on the demo database (its own small pool, and its
/// own broker connection as the ops identity for replays).
pub async fn start(
    settings: &ConsoleSettings,
    database_url: &str,
    vault: Keyring,
    access: &BrokerAccess,
    topology: &Topology,
) -> anyhow::Result<DemoConsole> {
    let mut settings = settings.clone();
    let demo_logins = settings.users.is_none() && settings.proxy_secret.is_none();
    if demo_logins {
        settings.users = Some(DEMO_USERS.to_owned());
    }
    let access_rules = settings.access().map_err(anyhow::Error::msg)?;
    let pool = autobook_orchestrator::db::connect(database_url, 4)
        .await
        .context("connecting the console to the demo database")?;
    let broker = access
        .connect(Identity::Ops, "autobook-demo-console", topology.clone())
        .await
        .context("connecting the console to RabbitMQ as autobook-ops")?;
    let publisher = Publisher::open(&broker).await?;
    let (listener, addr) = autobook_console::bind(settings.addr).await?;
    let console = Console {
        pool,
        vault,
        publisher: Some(publisher),
        flags_in_postgres: true,
        access: access_rules,
    };
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let task = tokio::spawn(autobook_console::serve(listener, console, async move {
        stop.cancelled().await
    }));
    eprintln!("console: http://{addr}/");
    if demo_logins {
        eprintln!(
            "  sign in as viewer, operator or supervisor; the password is the name followed by -demo"
        );
    }
    Ok(DemoConsole {
        addr,
        shutdown,
        task,
        broker,
    })
}

impl DemoConsole {
    /// Keeps serving until Ctrl-C (or SIGTERM), then stops.
    pub async fn until_interrupted(self) -> anyhow::Result<()> {
        eprintln!(
            "the console stays open at http://{}/ on the demo's data: Ctrl-C to stop",
            self.addr
        );
        let signal = autobook_roles::shutdown::on_signal();
        signal.cancelled().await;
        self.stop().await
    }

    /// Stops serving.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let served = self.task.await.context("the console task")?;
        self.broker.close().await;
        served
    }
}
