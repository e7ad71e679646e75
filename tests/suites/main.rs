//! Integration suites: the whole system against real PostgreSQL, RabbitMQ
//! and Redis with the provider sandbox. Every test asserts on the sandbox's
//! ledger as well as on the saga.

#![allow(clippy::unwrap_used)]

mod bad_input;
mod booking;
mod cancellation;
mod compensation;
mod competing;
mod control;
mod deferral;
mod demo;
mod duplicates;
mod executor;
mod hostile_stream;
mod lease;
mod ops;
mod scale_out;
mod throttle;
mod unknown_outcomes;
mod watching;
mod webhooks;
