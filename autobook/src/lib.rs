//! # autobook
//!
//! The one binary of autobook: argument parsing ([`cli`], with the options
//! of each role in [`args`]), the wiring of each role's process
//! ([`commands`]), including `autobook ops`, whose commands are the crate
//! `autobook-ops`. What a role process shares is the crate
//! `autobook-roles`; the travellers' HTTP API is `autobook-gateway`; the
//! demo, chaos, bench and the in-process stack are `autobook-harness`.

pub mod args;
pub mod cli;
pub mod commands;
