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
//! URLs of the four servers.
//!
//! Layout:
//! - [`config`]: [`SandboxConfig`] and [`Ports`];
//! - [`faults`], [`script`]: fault rates, scenarios and scripted outcomes;
//! - [`ledger`]: the reconciliation snapshot (with each API's traffic);
//! - `rate_limit`: the per-key request limits of the provider APIs;
//! - `server`: starting and stopping; `admin`: the admin JSON API;
//! - `duffel`, `stripe`, `email`: the providers;
//! - `context`, `clock`, `idempotency`, `ids`: shared machinery.

mod admin;
mod clock;
pub mod config;
mod context;
mod duffel;
mod email;
pub mod faults;
mod idempotency;
mod ids;
pub mod ledger;
mod rate_limit;
pub mod script;
mod server;
mod stripe;

pub use config::{ApiRateLimits, Ports, SandboxConfig};
pub use faults::{Faults, FaultsError};
pub use ledger::{
    Ledger, LedgerEmail, LedgerEmailTag, LedgerOrder, LedgerOrderCancellation, LedgerPaymentIntent,
    LedgerRefund, LedgerTraffic,
};
pub use script::{
    AuthorizationFault, CancellationFault, CaptureFault, EmailFault, FaultScript, OrderFault,
    RefundFault, VoidFault,
};
pub use server::{RunningSandbox, start};
