//! The command line: one binary, one subcommand per role. The options of
//! each subcommand are in [`crate::args`].

use clap::{Parser, Subcommand};

use crate::args::MigrateArgs;
use crate::args::OrchestratorArgs;
use crate::args::SandboxArgs;
use crate::args::SchemasArgs;
use crate::args::WorkerArgs;
use autobook_harness::demo::args::DemoArgs;
use autobook_roles::log_settings::LogSettings;

/// autobook: books flights for travellers, end to end, without losing or
/// doubling their money.
#[derive(Debug, Parser)]
#[command(name = "autobook", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub logging: LogSettings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the saga orchestrator: event consumer, outbox relay and timers.
    Orchestrator(OrchestratorArgs),
    /// Run one or more workers (search, payment, order, notify, or all).
    Worker(WorkerArgs),
    /// Serve the travellers' HTTP API: trip requests, trips, bookings, their data.
    Gateway(crate::commands::gateway::GatewayArgs),
    /// Serve the Duffel-, Stripe- and Resend-shaped sandbox APIs.
    Sandbox(SandboxArgs),
    /// Apply database migrations and declare the broker topology.
    Migrate(MigrateArgs),
    /// Run the whole system with the sandbox and book N trips.
    Demo(DemoArgs),
    /// Write the JSON Schemas of every message to a directory.
    Schemas(SchemasArgs),
    /// Run the system as separate processes, kill and restart them at random, and check nothing was lost.
    Chaos(autobook_harness::chaos::ChaosArgs),
    /// Serve the operations console: sagas, stuck work, dead letters, flags and mismatches in the browser.
    Console(crate::commands::console::ConsoleArgs),
    /// Inspect and repair sagas and dead letters.
    Ops(autobook_ops::OpsArgs),
    /// Compare what Stripe and Duffel say with the sagas' records, every interval (or --once); release orphaned holds.
    Reconcile(crate::commands::reconcile::ReconcileArgs),
    /// Measure throughput, latency, CPU per saga and memory against what the machine allows.
    Bench(autobook_harness::bench::BenchArgs),
}
