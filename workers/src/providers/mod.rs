//! HTTP clients of the outside providers: Duffel (flights), Stripe
//! (payments) and a Resend-style email API.
//!
//! Each client speaks the provider's real wire format (see
//! `shared/api-facts.md`), so only the base URL differs between the real
//! service and the local sandbox. Errors are typed ([`ProviderError`]) and
//! classify themselves ([`ErrorClass`]) so that a worker knows whether to
//! retry, look the outcome up, or answer with a failure.
//!
//! Layout: [`config`] (URL, key, timeouts), [`error`], `transport` (shared
//! HTTP plumbing, metrics and logs), [`rate_limit`] (429 waits),
//! [`limits`] (how fast each provider may be called), then one
//! module per provider, each split into client, wire types, pure request
//! building and pure response mapping.

pub mod config;
pub mod duffel;
pub mod email;
pub mod error;
pub mod limits;
pub mod rate_limit;
pub mod stripe;
pub mod telemetry;
mod transport;

pub use config::{ApiKey, ConfigError, ProviderConfig};
pub use duffel::{Cancellation, DuffelClient, DuffelOrder, NewOrder, SearchResult};
pub use email::{EmailClient, OutgoingEmail};
pub use error::{ErrorClass, Provider, ProviderError};
pub use limits::RateLimits;
pub use stripe::{
    CancellationReason, NewPaymentIntent, NewRefund, PaymentIntent, PaymentIntentStatus, Refund,
    StripeClient,
};
pub use transport::{RawResponse, USER_AGENT};

#[cfg(test)]
mod tests;
