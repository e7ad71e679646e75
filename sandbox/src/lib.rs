//! # autobook-sandbox
//!
//! Local servers that speak the wire formats of Duffel (flights), Stripe
//! (payments) and a Resend-style email API, with behaviour rather than
//! canned answers: generated flights with seat inventory, a PaymentIntent
//! state machine, idempotency keys, rate limits, injected faults, and a
//! [`Ledger`] of every money, order and email effect so a run can be
//! reconciled.
//!
//! Start one with [`start`]; it returns a [`RunningSandbox`] with the base
//! URLs of the four servers. The Stripe server posts its events, signed,
//! to a webhook endpoint when one is set.
//!
//! Layout:
//! - [`config`]: [`SandboxConfig`], [`WebhookEndpoint`] and [`Ports`];
//! - [`faults`], [`script`]: fault rates, scenarios and scripted outcomes;
//! - [`behaviour`]: the providers' harder behaviours, on by default;
//! - [`price_motion`]: fares that move with the sandbox clock;
//! - [`ledger`]: the reconciliation snapshot (with each API's traffic);
//! - `rate_limit`: the per-key request limits of the provider APIs;
//! - `server`: starting and stopping; `admin`: the admin JSON API;
//!   `providers`: what both hold, every provider of one sandbox;
//! - `duffel`, `stripe`, `email`: the providers;
//! - `context`, `clock`, `idempotency`, `ids`, `lock`, `injected`: shared
//!   machinery (the last counts every injected fault).

mod admin;
pub mod behaviour;
mod clock;
pub mod config;
mod context;
mod duffel;
mod email;
pub mod faults;
mod idempotency;
mod ids;
mod injected;
pub mod ledger;
mod lock;
pub mod metric_definitions;
pub mod price_motion;
mod providers;
mod rate_limit;
pub mod script;
mod server;
mod stripe;

pub use behaviour::{Behaviour, BehaviourError};
pub use config::{ApiRateLimits, Ports, SandboxConfig, WebhookEndpoint};
pub use faults::{Faults, FaultsError};
pub use ledger::{
    Ledger, LedgerEmail, LedgerEmailTag, LedgerOrder, LedgerOrderCancellation,
    LedgerOrderPassenger, LedgerPaymentIntent, LedgerRefund, LedgerSearch, LedgerTraffic,
    LedgerWebhook, WebhookStatus,
};
pub use price_motion::{PriceMotion, PriceMotionError};
pub use script::{
    AuthorizationFault, CancellationFault, CaptureFault, CreationFault, EmailFault, FaultScript,
    OrderFault, RefundFault, ScriptError, SearchFault, VoidFault,
};
pub use server::{RunningSandbox, start};

/// What one adult typically pays, in US dollars, to fly non-stop between
/// two catalogue airports in `cabin` (the sandbox's fare model at its
/// middle airline factor). None for codes outside the catalogue.
pub fn typical_adult_fare_usd(
    origin: &str,
    destination: &str,
    cabin: autobook_contracts::trip::CabinClass,
) -> Option<f64> {
    let from = autobook_contracts::catalogue::airport(origin)?;
    let to = autobook_contracts::catalogue::airport(destination)?;
    Some(duffel::pricing::typical_adult_usd(from, to, cabin))
}

/// Whether `airline`'s offers between two catalogue places (airport or
/// city codes) carry `passenger_identity_documents_required: true`, so
/// that an order needs every passenger's passport.
pub fn identity_documents_required(airline: &str, origin: &str, destination: &str) -> bool {
    duffel::documents::required_between(airline, origin, destination)
}
