//! # autobook-roles
//!
//! What every role process of autobook shares, whichever subcommand starts
//! it: [`settings`] read from the environment and the command line (with
//! [`log_settings`]), the broker identity a role connects as
//! ([`broker_access`]), the feature flags it consults before money moves
//! ([`flag_store`]), the ops endpoint serving `/health`, `/ready` and
//! `/metrics` ([`ops`], with [`metrics_recorder`]), logs and OTLP traces
//! ([`logging`], [`traces`], [`telemetry`]), the database and migrations
//! ([`services`]) and a graceful stop on a signal ([`shutdown`]).

pub mod broker_access;
pub mod flag_store;
pub mod log_settings;
pub mod logging;
pub mod metrics_recorder;
pub mod ops;
pub mod retention;
pub mod services;
pub mod settings;
pub mod shutdown;
pub mod telemetry;
pub mod traces;
