//! # autobook
//!
//! The one binary of autobook. Each subcommand runs a role
//! ([`commands`]), connecting to the broker as its own identity
//! ([`broker_access`]); [`demo`] runs the whole system in one process against
//! the real PostgreSQL and RabbitMQ with the provider sandbox, and
//! [`stack`] is the in-process system it (and the integration tests)
//! start. The travellers' HTTP API (with their data export and erasure, and
//! the Stripe webhook receiver) is the crate `autobook-gateway`, which
//! `autobook gateway` serves. [`flag_store`] opens the feature flags a role consults before
//! money moves. [`reconcile`] compares saga records with the sandbox's
//! ledger, and wires the production reconciliation job (crate
//! `autobook-reconcile`) for the `reconcile` role and local runs.
//! [`chaos`] runs every role as a separate process, kills and restarts
//! them at random, and checks that no saga was lost or doubled.
//! [`logging`] and [`traces`] set up logs and OTLP span export.
//! [`bench`] measures throughput, latency, CPU per saga and memory of the
//! system, and the floor the machine allows.

pub mod args;
pub mod bench;
pub mod broker_access;
pub mod chaos;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod flag_store;
pub mod logging;
pub mod metrics_recorder;
pub mod ops;
pub mod ops_cli;
pub mod reconcile;
pub mod services;
pub mod settings;
pub mod shutdown;
pub mod stack;
pub mod telemetry;
pub mod traces;
