//! Stripe: manual-capture PaymentIntents (hold, capture, release), their
//! lookup by metadata, and refunds.
//!
//! [`client`] sends the requests; [`request`] builds the form bodies with
//! [`form`] (bracket keys) and [`errors`] reads error answers, both pure;
//! [`wire`] holds the JSON shapes and their mapping to [`model`];
//! [`webhook`] verifies the signatures of the events Stripe sends us.

pub mod client;
pub mod errors;
pub mod form;
pub mod model;
pub mod request;
pub mod webhook;
pub mod wire;

pub use client::StripeClient;
pub use model::{
    CancellationReason, NewPaymentIntent, NewRefund, PaymentIntent, PaymentIntentStatus, Refund,
};

#[cfg(test)]
mod sandbox_tests;
#[cfg(test)]
mod tests;
