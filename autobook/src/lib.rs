//! # autobook
//!
//! The one binary of autobook: argument parsing ([`cli`], with the options
//! of each role in [`args`]), the wiring of each role's process
//! ([`commands`]) and the operators' commands ([`ops_cli`]: their
//! arguments and rendering over the owners' typed functions). What a role
//! process shares is the crate `autobook-roles`; the travellers' HTTP API is
//! `autobook-gateway`; the demo, chaos, bench and the in-process stack are
//! `autobook-harness`.

pub mod args;
pub mod cli;
pub mod commands;
pub mod ops_cli;
