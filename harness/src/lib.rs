//! # autobook-harness
//!
//! The whole system run for a purpose, by the binary and by the tests:
//! [`stack`] is the in-process system (every role, against the real
//! PostgreSQL and RabbitMQ, with the provider sandbox); [`demo`] books N
//! trips through it with a progress bar and a summary; [`chaos`] runs every
//! role as a separate process of the binary, kills and restarts them at
//! random, and checks that no saga was lost or doubled; [`bench`] measures
//! throughput, latency, CPU per saga and memory against the floor the
//! machine allows; [`reconcile`] compares saga records with the sandbox's
//! ledger (the witness) and runs the production reconciliation job once.
//! The command-line options of these runs live beside them, so the binary
//! only assembles them.

pub mod bench;
pub mod chaos;
pub mod demo;
pub mod reconcile;
pub mod stack;
