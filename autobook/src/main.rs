//! Entry point: parse the command line, set up telemetry, run the role.

use clap::Parser;

use autobook::cli::{Cli, Command, LogFormat};
use autobook::{bench, chaos, commands, demo, telemetry};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let quiet = matches!(
        cli.command,
        Command::Demo(_)
            | Command::Schemas(_)
            | Command::Chaos(_)
            | Command::Ops(_)
            | Command::Bench(_)
    );
    let default_filter = if quiet { "error" } else { "info" };
    let format = if quiet {
        LogFormat::Text
    } else {
        cli.logging.log_format
    };
    telemetry::init_logging(format, default_filter);
    let metrics = telemetry::init_metrics();
    let result = match cli.command {
        Command::Orchestrator(args) => {
            commands::orchestrator::run(args, &cli.logging, metrics).await
        }
        Command::Worker(args) => commands::worker::run(args, &cli.logging, metrics).await,
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Migrate(args) => commands::migrate::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Schemas(args) => commands::schemas::run(args),
        Command::Chaos(args) => chaos::run(args).await,
        Command::Ops(args) => autobook::ops_cli::run(args).await,
        Command::Bench(args) => bench::run(args).await,
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
