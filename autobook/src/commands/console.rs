//! `autobook console`: the operations console ([`autobook_console`]).

use clap::Args;
use metrics_exporter_prometheus::PrometheusHandle;

use autobook_broker::Publisher;
use autobook_console::{Console, ConsoleSettings};
use autobook_contracts::senders::Identity;
use autobook_flags::ProviderKind;
use autobook_roles::log_settings::LogSettings;
use autobook_roles::settings::ServiceSettings;

use super::{Role, instance_name};

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub services: ServiceSettings,
    #[command(flatten)]
    pub console: ConsoleSettings,
}

pub async fn run(
    args: ConsoleArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    // Refuse settings nobody could sign in with before connecting.
    let access = args.console.access().map_err(anyhow::Error::msg)?;
    let vault = args.services.vault()?;
    let (listener, bound) = autobook_console::bind(args.console.addr).await?;
    let instance = instance_name("console", None);
    let role = Role::start(
        &args.services,
        &[Identity::Ops],
        &instance,
        logging,
        metrics,
    )
    .await?;
    let publisher = Publisher::open(&role.broker(Identity::Ops)?).await?;
    let console = Console {
        pool: role.pool.clone(),
        vault,
        publisher: Some(publisher),
        flags_in_postgres: args.services.flags.flag_provider == ProviderKind::Postgres,
        access,
    };
    tracing::info!(addr = %bound, "console listening");
    let shutdown = role.shutdown.clone();
    let result =
        autobook_console::serve(listener, console, async move { shutdown.cancelled().await }).await;
    role.close().await;
    result
}
