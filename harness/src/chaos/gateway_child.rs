//! The gateway child of a `--provider-faults` run: the endpoint the
//! sandbox's Stripe sends its webhooks to, on a free local port, with
//! secrets made for the run.

use anyhow::Context;
use uuid::Uuid;

/// The gateway child of a provider-fault run: where the sandbox's Stripe
/// sends its webhooks.
pub struct GatewayChild {
    addr: std::net::SocketAddr,
    webhook_secret: String,
    token_secret: String,
}

impl GatewayChild {
    /// A free local port and fresh secrets; points the sandbox's webhooks
    /// at the gateway.
    pub fn new(sandbox: &autobook_sandbox::RunningSandbox) -> anyhow::Result<Self> {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("finding a free port for the gateway")?;
        let gateway = GatewayChild {
            addr,
            webhook_secret: format!("whsec_chaos_{}", Uuid::new_v4().simple()),
            token_secret: format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple()),
        };
        sandbox.set_webhook_endpoint(Some(autobook_sandbox::WebhookEndpoint {
            url: format!("http://{addr}{}", autobook_gateway::webhooks::PATH),
            secret: autobook_contracts::stripe_webhook::WebhookSecret::new(
                gateway.webhook_secret.clone(),
            ),
        }));
        Ok(gateway)
    }

    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AUTOBOOK_GATEWAY_ADDR".to_owned(), self.addr.to_string()),
            (
                "AUTOBOOK_STRIPE_WEBHOOK_SECRET".to_owned(),
                self.webhook_secret.clone(),
            ),
            (
                "AUTOBOOK_JWT_HS256_SECRET".to_owned(),
                self.token_secret.clone(),
            ),
        ]
    }
}
