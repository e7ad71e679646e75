//! What every handler shares: the database, the broker and its confirm
//! channel, the clock, the token verifier and the rate limiter.

use std::sync::Arc;

use sqlx::PgPool;

use autobook_broker::{Broker, BrokerError, Publisher};
use autobook_orchestrator::clock::Clock;
use autobook_vault::Keyring;

use super::auth::{AuthConfigError, Verifier};
use super::config::GatewayConfig;
use super::rate_limit::UserRateLimiter;

/// Why a gateway could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Auth(#[from] AuthConfigError),
    #[error("the rate limiter's Redis URL is invalid: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("opening a confirm channel: {0}")]
    Broker(#[from] BrokerError),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// The gateway's shared state; cheap to clone.
#[derive(Clone)]
pub struct Gateway {
    pub pool: PgPool,
    pub broker: Broker,
    /// Publishes with confirms, as `gateway` in the publish spans.
    pub publisher: Publisher,
    /// Judges "in the future" for trip requests (the stack's movable clock).
    pub clock: Clock,
    /// Opens the caller's own personal data for an export.
    pub vault: Keyring,
    pub(crate) verifier: Arc<Verifier>,
    pub(crate) limiter: Arc<UserRateLimiter>,
    pub body_limit: usize,
    /// The Stripe webhook receiver, when a signing secret is configured.
    pub(crate) webhooks: Option<Arc<crate::webhooks::WebhookContext>>,
}

impl Gateway {
    /// Checks the configuration and opens the gateway's confirm channel.
    /// `namespace` keys the shared rate limit.
    pub async fn new(
        config: &GatewayConfig,
        pool: PgPool,
        broker: Broker,
        clock: Clock,
        vault: Keyring,
        namespace: &str,
    ) -> Result<Gateway, GatewayError> {
        let verifier = Verifier::new(&config.auth)?;
        let limiter =
            UserRateLimiter::new(config.rate_limit, config.redis_url.as_deref(), namespace)?;
        // Trip requests leave with their personal fields sealed.
        let broker = broker.with_vault(vault.clone());
        let publisher = Publisher::open(&broker).await?.with_origin("gateway");
        let webhooks = config.stripe_webhook_secret.clone().map(|secret| {
            Arc::new(crate::webhooks::WebhookContext::new(
                pool.clone(),
                publisher.clone(),
                secret,
                clock.clone(),
            ))
        });
        Ok(Gateway {
            pool,
            broker,
            publisher,
            clock,
            vault,
            verifier: Arc::new(verifier),
            limiter: Arc::new(limiter),
            body_limit: config.body_limit,
            webhooks,
        })
    }
}
