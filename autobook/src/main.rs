//! Entry point: parse the command line, set up telemetry, run the role.

use clap::Parser;

use autobook::cli::{Cli, Command};
use autobook::commands;
use autobook_harness::{bench, chaos, demo};
use autobook_roles::log_settings::LogFormat;
use autobook_roles::traces::TraceExport;
use autobook_roles::{logging, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // One TLS crypto provider for the whole process (see the function).
    autobook_flags::launchdarkly::install_crypto_provider();
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Command::Demo(_)
            | Command::Schemas(_)
            | Command::Chaos(_)
            | Command::Ops(_)
            | Command::Bench(_)
    ) || matches!(&cli.command, Command::Reconcile(args) if args.once);
    let default_filter = if quiet { "error" } else { "info" };
    let format = if quiet {
        LogFormat::Text
    } else {
        cli.logging.log_format
    };
    let traces = match TraceExport::from_env(&service_name(&cli.command)) {
        Ok(traces) => traces,
        Err(error) => {
            eprintln!("error: {error:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    logging::init(
        format,
        default_filter,
        traces.as_ref().map(TraceExport::layer),
    );
    let metrics = telemetry::init_metrics();
    let result = match cli.command {
        Command::Orchestrator(args) => {
            commands::orchestrator::run(args, &cli.logging, metrics).await
        }
        Command::Worker(args) => commands::worker::run(args, &cli.logging, metrics).await,
        Command::Gateway(args) => commands::gateway::run(args, &cli.logging, metrics).await,
        Command::Console(args) => commands::console::run(args, &cli.logging, metrics).await,
        Command::Sandbox(args) => commands::sandbox::run(args, &cli.logging, metrics).await,
        Command::Migrate(args) => commands::migrate::run(args).await,
        Command::Demo(args) => demo::run(args, &cli.logging, metrics).await,
        Command::Schemas(args) => commands::schemas::run(args),
        Command::Chaos(args) => chaos::run(args).await,
        Command::Ops(args) => autobook_ops::run(args).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Reconcile(args) => commands::reconcile::run(args, &cli.logging, metrics).await,
    };
    if let Some(traces) = traces {
        traces.shutdown().await;
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The service name of exported spans, unless `OTEL_SERVICE_NAME` is set.
fn service_name(command: &Command) -> String {
    let role = match command {
        Command::Orchestrator(_) => "orchestrator",
        Command::Worker(_) => "worker",
        Command::Gateway(_) => "gateway",
        Command::Console(_) => "console",
        Command::Sandbox(_) => "sandbox",
        Command::Migrate(_) => "migrate",
        Command::Demo(_) => "demo",
        Command::Schemas(_) => "schemas",
        Command::Chaos(_) => "chaos",
        Command::Ops(_) => "ops",
        Command::Bench(_) => "bench",
        Command::Reconcile(_) => "reconcile",
    };
    format!("autobook-{role}")
}
