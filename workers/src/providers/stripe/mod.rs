//! Stripe: manual-capture PaymentIntents (hold, capture, release), refunds,
//! and their lists ([`listing`]: consistent, unlike search, which this
//! client does not offer: nothing here may depend on a lagging index).
//!
//! [`client`] sends the requests; [`request`] builds the form bodies with
//! [`form`] (bracket keys) and [`errors`] reads error answers, both pure;
//! [`wire`] holds the JSON shapes and their mapping to [`model`]. (The
//! events Stripe sends us, and their signatures, are in
//! `autobook_contracts::stripe_webhook`.)

pub mod client;
pub mod errors;
pub mod form;
pub mod listing;
pub mod model;
pub mod request;
pub mod wire;

pub use client::StripeClient;
pub use listing::{ListFilter, Listed};
pub use model::{
    CancellationReason, NewPaymentIntent, NewRefund, PaymentIntent, PaymentIntentStatus, Refund,
};

#[cfg(test)]
mod sandbox_tests;
#[cfg(test)]
mod tests;
