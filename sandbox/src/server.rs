//! Starting and stopping the four servers (admin, Duffel, Stripe, email)
//! and the Stripe webhook dispatcher, and taking consistent ledger
//! snapshots across them.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::admin;
use crate::behaviour::Behaviour;
use crate::config::{Ports, SandboxConfig, WebhookEndpoint};
use crate::context::Context;
use crate::duffel::{self, DuffelService};
use crate::email::{self, EmailService};
use crate::faults::Faults;
use crate::ledger::Ledger;
use crate::metric_definitions::{REQUESTS, status_class};
use crate::price_motion::PriceMotion;
use crate::providers::Sandbox;
use crate::script::FaultScript;
use crate::stripe::delivery;
use crate::stripe::webhooks::Webhooks;
use crate::stripe::{self, StripeService};

/// A started sandbox. Dropping it stops the servers too; [`shutdown`]
/// also waits for them.
///
/// [`shutdown`]: RunningSandbox::shutdown
#[derive(Debug)]
pub struct RunningSandbox {
    pub admin_url: String,
    pub duffel_url: String,
    pub stripe_url: String,
    pub email_url: String,
    sandbox: Arc<Sandbox>,
    tasks: Vec<JoinHandle<()>>,
}

/// Binds every port, then serves until shutdown.
pub async fn start(config: SandboxConfig, ports: Ports) -> io::Result<RunningSandbox> {
    crate::injected::register_series();
    let ctx = Arc::new(Context::new(&config));
    let (webhooks, queue) = Webhooks::new(config.webhook.clone());
    let sandbox = Arc::new(Sandbox {
        duffel: Arc::new(DuffelService::new(ctx.clone(), &config)),
        stripe: Arc::new(StripeService::new(
            ctx.clone(),
            config.rate_limits.stripe,
            webhooks.clone(),
        )),
        email: Arc::new(EmailService::new(ctx.clone(), config.rate_limits.email)),
        ctx,
    });
    let admin_listener = bind(ports.admin).await?;
    let duffel_listener = bind(ports.duffel).await?;
    let stripe_listener = bind(ports.stripe).await?;
    let email_listener = bind(ports.email).await?;
    let servers = [
        ("admin", admin_listener, admin::router(sandbox.clone())),
        (
            "duffel",
            duffel_listener,
            duffel::router(sandbox.duffel.clone()),
        ),
        (
            "stripe",
            stripe_listener,
            stripe::router(sandbox.stripe.clone()),
        ),
        (
            "email",
            email_listener,
            email::router(sandbox.email.clone()),
        ),
    ];
    let mut urls = Vec::new();
    let mut tasks = Vec::new();
    for (name, listener, router) in servers {
        let address = listener.local_addr()?;
        tracing::info!(server = name, %address, "sandbox server listening");
        urls.push(format!("http://{address}"));
        tasks.push(tokio::spawn(serve(
            name,
            listener,
            router,
            sandbox.ctx.clone(),
        )));
    }
    tasks.push(tokio::spawn(delivery::dispatch(
        webhooks,
        sandbox.ctx.clone(),
        queue,
    )));
    let [admin_url, duffel_url, stripe_url, email_url]: [String; 4] = urls
        .try_into()
        .map_err(|_| io::Error::other("expected four servers"))?;
    Ok(RunningSandbox {
        admin_url,
        duffel_url,
        stripe_url,
        email_url,
        sandbox,
        tasks,
    })
}

async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await
}

async fn serve(name: &'static str, listener: TcpListener, router: Router, ctx: Arc<Context>) {
    let stop = async move { ctx.shutdown_signal().await };
    let router = router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| counted(name, request, next),
    ));
    if let Err(error) = axum::serve(listener, router)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::error!(server = name, %error, "sandbox server failed");
    }
}

/// Answers `request` and counts the answer by server and status class.
async fn counted(provider: &'static str, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = status_class(response.status().as_u16());
    metrics::counter!(REQUESTS, "provider" => provider, "status" => status).increment(1);
    response
}

impl RunningSandbox {
    /// A consistent snapshot of every effect so far.
    pub fn ledger(&self) -> Ledger {
        self.sandbox.ledger()
    }

    /// Replaces the fault rates (takes effect on the next request).
    pub fn set_faults(&self, faults: Faults) {
        self.sandbox.ctx.set_faults(faults);
    }

    /// The fault rates in force.
    pub fn faults(&self) -> Faults {
        self.sandbox.ctx.faults()
    }

    /// Replaces the behaviours (search lag, webhook delays and copies);
    /// takes effect on the next search or event dispatch.
    ///
    /// # Panics
    ///
    /// When the behaviour does not [validate](Behaviour::validate): a
    /// mistake in the test.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        if let Err(error) = behaviour.validate() {
            panic!("invalid behaviour: {error}");
        }
        self.sandbox.ctx.set_behaviour(behaviour);
    }

    /// The behaviours in force.
    pub fn behaviour(&self) -> Behaviour {
        self.sandbox.ctx.behaviour()
    }

    /// Replaces the price motion (takes effect on the next search).
    pub fn set_price_motion(&self, motion: PriceMotion) {
        self.sandbox.ctx.set_price_motion(motion);
    }

    /// The price motion in force.
    pub fn price_motion(&self) -> PriceMotion {
        self.sandbox.ctx.price_motion()
    }

    /// Appends forced outcomes (and price multipliers) to the script
    /// queues.
    ///
    /// # Panics
    ///
    /// When the script does not [validate](FaultScript::validate): a price
    /// multiplier that is not finite and positive is a mistake in the test.
    pub fn push_script(&self, script: FaultScript) {
        if let Err(error) = script.validate() {
            panic!("invalid fault script: {error}");
        }
        self.sandbox.ctx.script(|queues| queues.append(script));
    }

    /// Scripted outcomes not consumed yet.
    pub fn remaining_script(&self) -> FaultScript {
        self.sandbox.ctx.script(|queues| queues.remaining())
    }

    /// Sends the Stripe events from now on to `endpoint` (None: to no one).
    pub fn set_webhook_endpoint(&self, endpoint: Option<WebhookEndpoint>) {
        self.sandbox.stripe.webhooks.set_endpoint(endpoint);
    }

    /// Waits (at most `timeout`) until no webhook delivery is pending:
    /// every event so far delivered, given up on, or not sent for want of
    /// an endpoint. False if some are still pending.
    pub async fn webhooks_settled(&self, timeout: Duration) -> bool {
        tokio::time::timeout(timeout, self.sandbox.stripe.webhooks.settled())
            .await
            .is_ok()
    }

    /// Cancels a payment intent outside the API's callers, as a lapsed
    /// hold (`automatic`) or a cancel in the dashboard would; Stripe sends
    /// `payment_intent.canceled`. Err: why it could not be (no such
    /// intent, not cancelable, unknown reason).
    pub fn cancel_payment_intent(&self, id: &str, reason: &str) -> Result<(), String> {
        self.sandbox
            .stripe
            .cancel_outside(id, reason)
            .map(|_| ())
            .map_err(|error| error.message)
    }

    /// Moves the sandbox clock forward (offer expiry, hold lapses).
    pub fn advance_clock(&self, by: Duration) {
        self.sandbox.ctx.clock.advance(by);
    }

    /// Stops accepting requests, cuts pending injected delays short and
    /// waits for the servers to finish.
    pub async fn shutdown(mut self) {
        self.sandbox.ctx.begin_shutdown();
        for task in std::mem::take(&mut self.tasks) {
            if let Err(error) = task.await {
                tracing::error!(%error, "sandbox server task ended abnormally");
            }
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.sandbox.ctx.begin_shutdown();
    }
}
