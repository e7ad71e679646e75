//! Integration suites: the whole system against real PostgreSQL, RabbitMQ
//! and Redis with the provider sandbox. Every test asserts on the sandbox's
//! ledger as well as on the saga.

#![allow(clippy::unwrap_used)]

mod api_contract;
mod bad_input;
mod booking;
mod cancellation;
mod causation;
mod compensation;
mod competing;
mod console;
mod control;
mod deferral;
mod demo;
mod duplicates;
mod encryption;
mod erasure;
mod executor;
mod forged_senders;
mod gateway;
mod gateway_hostile;
mod gateway_rls;
mod hostile_stream;
mod lease;
mod lifecycle;
mod lost_messages;
mod money_steps;
mod ops;
mod passengers;
mod placement;
mod pruning;
mod quorum_queues;
mod reconciliation;
mod refusals;
mod refused_connections;
mod retention;
mod scale_out;
mod sealed_messages;
mod takeover;
mod throttle;
mod topology;
mod unknown_outcomes;
mod watching;
mod webdriver;
mod webhooks;
mod wrong_route;
