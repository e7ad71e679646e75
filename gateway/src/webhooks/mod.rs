//! The Stripe webhook receiver: `POST /v1/webhooks/stripe`.
//!
//! Each delivery is checked before anything else: its body size
//! ([`MAX_BODY_BYTES`]), then its `Stripe-Signature` against the endpoint's
//! secret ([`SECRET_ENV`]) within the tolerance of our clock. A refused one
//! is a 400 naming why (`signature_missing`, `signature_malformed`,
//! `signature_mismatch`, `signature_stale`, `malformed_event`), a 413 when
//! too large. A verified event is recorded once by its id
//! (`stripe_webhook_events`): a redelivery answers `{"duplicate":true}` and
//! does nothing again. A `payment_intent.*` event about one of our sagas
//! becomes a `payment.intent_updated` message to the orchestrator, with a
//! message id derived from the event id, published (and confirmed) inside
//! the transaction that records the event: if publishing fails nothing is
//! recorded and the answer is a 500, so Stripe delivers it again. Other
//! events are recorded and otherwise ignored.
//!
//! Events about intents no saga counts on are recorded all the same:
//! [`recent`] reads the intents recent events named for the
//! reconciliation job, which judges them.
//!
//! [`router`] gives the route; [`receive`] holds the steps; [`answer`] the
//! errors and their HTTP answers; [`message`] what an event becomes.

mod answer;
mod message;
mod receive;
pub mod recent;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use sqlx::PgPool;

use autobook_broker::Publisher;
use autobook_contracts::stripe_webhook::{DEFAULT_TOLERANCE, WebhookSecret};
use autobook_orchestrator::clock::Clock;

pub use answer::WebhookError;
pub use message::message_id;
pub use receive::deliver;

/// Where Stripe posts.
pub const PATH: &str = "/v1/webhooks/stripe";

/// The environment variable holding the endpoint's signing secret.
pub const SECRET_ENV: &str = "AUTOBOOK_STRIPE_WEBHOOK_SECRET";

/// The largest body accepted (Stripe's events are a few kilobytes).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What the receiver needs.
#[derive(Clone)]
pub struct WebhookContext {
    pub pool: PgPool,
    /// Publishes with confirms.
    pub publisher: Publisher,
    pub secret: WebhookSecret,
    /// Signatures are checked against this clock's time.
    pub clock: Clock,
    /// How far a signature's time may be from ours (Stripe's 300 s).
    pub tolerance: Duration,
}

impl WebhookContext {
    pub fn new(pool: PgPool, publisher: Publisher, secret: WebhookSecret, clock: Clock) -> Self {
        WebhookContext {
            pool,
            publisher: publisher.with_origin("stripe-webhooks"),
            secret,
            clock,
            tolerance: DEFAULT_TOLERANCE,
        }
    }
}

/// The secret is not set (or empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{SECRET_ENV} is not set: the Stripe webhook endpoint's signing secret (whsec_...)")]
pub struct MissingSecret;

/// The signing secret from [`SECRET_ENV`].
pub fn secret_from_env() -> Result<WebhookSecret, MissingSecret> {
    match std::env::var(SECRET_ENV) {
        Ok(secret) if !secret.trim().is_empty() => Ok(WebhookSecret::new(secret.trim())),
        _ => Err(MissingSecret),
    }
}

/// `POST /v1/webhooks/stripe`, ready to be merged into a server.
pub fn router(context: WebhookContext) -> Router {
    Router::new()
        .route(PATH, post(receive::receive))
        .with_state(Arc::new(context))
}
