//! `autobook gateway`: the travellers' HTTP API ([`autobook_gateway`]).

use std::net::SocketAddr;

use clap::Args;
use metrics_exporter_prometheus::PrometheusHandle;

use autobook_contracts::senders::Identity;
use autobook_orchestrator::clock::Clock;
use autobook_throttle::RateLimit;

use super::{Role, instance_name};
use autobook_gateway::auth::Verifier;
use autobook_gateway::config::DEFAULT_BODY_LIMIT;
use autobook_gateway::{self as gateway, AuthConfig, Gateway, GatewayConfig, JwtSecret};
use autobook_roles::log_settings::LogSettings;
use autobook_roles::settings::ServiceSettings;

#[derive(Debug, Args)]
pub struct GatewayArgs {
    #[command(flatten)]
    pub services: ServiceSettings,
    /// Address to listen on.
    #[arg(long, env = "AUTOBOOK_GATEWAY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Shared secret of HS256 bearer tokens (at least 32 bytes).
    #[arg(long, env = "AUTOBOOK_JWT_HS256_SECRET", hide_env_values = true)]
    pub jwt_hs256_secret: Option<JwtSecret>,
    /// Public key of RS256 bearer tokens: PEM text, or @path to a PEM file.
    #[arg(long, env = "AUTOBOOK_JWT_RS256_PUBLIC_KEY")]
    pub jwt_rs256_public_key: Option<String>,
    /// Required issuer (`iss`) of tokens, if set.
    #[arg(long, env = "AUTOBOOK_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,
    /// Required audience (`aud`) of tokens, if set.
    #[arg(long, env = "AUTOBOOK_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated on a token's exp and nbf, in seconds.
    #[arg(long, env = "AUTOBOOK_JWT_LEEWAY_SECS", default_value_t = 30)]
    pub jwt_leeway_secs: u64,
    /// Requests per second each traveller may make on average (0: unlimited),
    /// across all gateway instances (through Redis).
    #[arg(long, env = "AUTOBOOK_GATEWAY_RATE_LIMIT", default_value_t = 5.0)]
    pub rate_limit: f64,
    /// Requests a traveller may make at once after a quiet spell.
    #[arg(long, env = "AUTOBOOK_GATEWAY_RATE_BURST", default_value_t = 20)]
    pub rate_burst: u32,
    /// Largest request body, in bytes.
    #[arg(long, env = "AUTOBOOK_GATEWAY_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,
    /// The Stripe webhook endpoint's signing secret (whsec_...); unset,
    /// `POST /v1/webhooks/stripe` answers 404.
    #[arg(long, env = "AUTOBOOK_STRIPE_WEBHOOK_SECRET", hide_env_values = true)]
    pub stripe_webhook_secret: Option<String>,
}

impl GatewayArgs {
    pub fn config(&self) -> GatewayConfig {
        GatewayConfig {
            addr: self.addr,
            auth: AuthConfig {
                hs256_secret: self.jwt_hs256_secret.clone(),
                rs256_public_key_pem: self.jwt_rs256_public_key.clone(),
                issuer: self.jwt_issuer.clone(),
                audience: self.jwt_audience.clone(),
                leeway_secs: self.jwt_leeway_secs,
            },
            rate_limit: RateLimit::new(self.rate_limit, self.rate_burst),
            redis_url: Some(self.services.connections.redis_url.clone()),
            body_limit: self.body_limit,
            stripe_webhook_secret: self
                .stripe_webhook_secret
                .as_deref()
                .map(str::trim)
                .filter(|secret| !secret.is_empty())
                .map(autobook_contracts::stripe_webhook::WebhookSecret::new),
        }
    }
}

pub async fn run(
    args: GatewayArgs,
    logging: &LogSettings,
    metrics: Option<PrometheusHandle>,
) -> anyhow::Result<()> {
    let config = args.config();
    // Refuse a configuration that cannot check tokens before connecting.
    Verifier::new(&config.auth)?;
    let vault = args.services.vault()?;
    let listener = gateway::bind(config.addr).await?;
    let instance = instance_name("gateway", None);
    let role = Role::start(
        &args.services,
        &[Identity::Gateway],
        &instance,
        logging,
        metrics,
    )
    .await?;
    let state = Gateway::new(
        &config,
        role.pool.clone(),
        role.broker(Identity::Gateway)?,
        Clock::system(),
        vault,
        &args.services.namespace,
    )
    .await?;
    let result = gateway::serve(listener, state, role.shutdown.clone()).await;
    role.close().await;
    Ok(result?)
}
