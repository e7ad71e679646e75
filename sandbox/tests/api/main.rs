//! Integration tests: each starts a sandbox on ephemeral ports and talks to
//! it over HTTP as a client of the real providers would.

// Helpers unwrap like the tests they serve (clippy.toml allows it in tests).
#![allow(clippy::unwrap_used)]

mod admin;
mod duffel_misroute;
mod duffel_orders;
mod duffel_passengers;
mod duffel_search;
mod email;
mod fixtures;
mod helpers;
mod prices;
mod rate_limits;
mod stripe_faults;
mod stripe_intents;
mod stripe_refunds;
mod webhooks;
