//! Integration tests: each starts a sandbox on ephemeral ports and talks to
//! it over HTTP as a client of the real providers would.

// Helpers unwrap like the tests they serve (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used)]

mod admin;
mod answers_lost;
mod duffel_misroute;
mod duffel_orders;
mod duffel_passengers;
mod duffel_search;
mod email;
mod fault_counts;
mod fixtures;
mod helpers;
mod idempotency;
mod ids;
mod prices;
mod rate_limits;
mod search_lag;
mod stripe_faults;
mod stripe_intents;
mod stripe_lists;
mod stripe_refunds;
mod stripe_test_cards;
mod webhook_delivery;
mod webhooks;
