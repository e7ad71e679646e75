//! Webhook deliveries, as Stripe makes them: every event goes to the
//! endpoint in force when it is dispatched, as JSON with a
//! `Stripe-Signature` header (signed anew at each attempt, at the sandbox
//! clock's time), at least once: a failed or non-2xx attempt is tried again
//! after a pause that doubles, up to [`ATTEMPTS`] in all. A receiver may
//! therefore see an event more than once, and events in any order. Every
//! event, and what became of its delivery, is kept for the ledger.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use autobook_contracts::stripe_webhook::{StripeEvent, sign};

use crate::config::WebhookEndpoint;
use crate::context::{Context, locked};
use crate::ledger::{LedgerWebhook, WebhookStatus};

/// Attempts at delivering one event.
pub(crate) const ATTEMPTS: u32 = 5;

/// The pause after the first failed attempt; each next one is twice as long.
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// An event waiting for dispatch, with its place in the log.
type Queued = (usize, StripeEvent);

/// The endpoint, the log of every event, and the queue to the dispatcher.
#[derive(Debug)]
pub(crate) struct Webhooks {
    endpoint: Mutex<Option<WebhookEndpoint>>,
    log: Mutex<Vec<LedgerWebhook>>,
    queue: mpsc::UnboundedSender<Queued>,
    /// Bumped whenever a delivery's status changes.
    changes: watch::Sender<u64>,
}

/// The dispatcher's end of the queue.
#[derive(Debug)]
pub(crate) struct Queue(mpsc::UnboundedReceiver<Queued>);

impl Webhooks {
    pub(crate) fn new(endpoint: Option<WebhookEndpoint>) -> (Arc<Webhooks>, Queue) {
        let (queue, receiver) = mpsc::unbounded_channel();
        let webhooks = Webhooks {
            endpoint: Mutex::new(endpoint),
            log: Mutex::new(Vec::new()),
            queue,
            changes: watch::Sender::new(0),
        };
        (Arc::new(webhooks), Queue(receiver))
    }

    /// Logs `event` and queues it for delivery.
    pub(crate) fn enqueue(&self, event: StripeEvent) {
        let mut log = locked(&self.log);
        log.push(LedgerWebhook {
            id: event.id.clone(),
            event_type: event.event_type.clone(),
            object_id: event.data.object["id"].as_str().unwrap_or("").to_owned(),
            attempts: 0,
            status: WebhookStatus::Pending,
        });
        // The dispatcher is gone only once the sandbox stops.
        let _ = self.queue.send((log.len() - 1, event));
    }

    pub(crate) fn set_endpoint(&self, endpoint: Option<WebhookEndpoint>) {
        *locked(&self.endpoint) = endpoint;
    }

    /// The URL events go to (never the secret).
    pub(crate) fn endpoint_url(&self) -> Option<String> {
        locked(&self.endpoint)
            .as_ref()
            .map(|endpoint| endpoint.url.clone())
    }

    pub(crate) fn log(&self) -> Vec<LedgerWebhook> {
        locked(&self.log).clone()
    }

    /// Resolves once no delivery is pending (each delivered, given up, or
    /// not sent for want of an endpoint).
    pub(crate) async fn settled(&self) {
        let mut changes = self.changes.subscribe();
        loop {
            let pending = locked(&self.log)
                .iter()
                .any(|entry| entry.status == WebhookStatus::Pending);
            if !pending || changes.changed().await.is_err() {
                return;
            }
        }
    }

    fn update(&self, index: usize, update: impl FnOnce(&mut LedgerWebhook)) {
        if let Some(entry) = locked(&self.log).get_mut(index) {
            update(entry);
        }
        self.changes.send_modify(|n| *n += 1);
    }
}

/// Runs until the sandbox stops: each queued event is delivered on a task
/// of its own to the endpoint in force (none: it stays undelivered).
pub(crate) async fn dispatch(webhooks: Arc<Webhooks>, ctx: Arc<Context>, queue: Queue) {
    let Queue(mut receiver) = queue;
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(ATTEMPT_TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "no HTTP client for webhooks: none will be delivered");
            return;
        }
    };
    loop {
        let next = tokio::select! {
            next = receiver.recv() => next,
            () = ctx.shutdown_signal() => None,
        };
        let Some((index, event)) = next else {
            return;
        };
        let endpoint = locked(&webhooks.endpoint).clone();
        let Some(endpoint) = endpoint else {
            webhooks.update(index, |entry| entry.status = WebhookStatus::NotSent);
            continue;
        };
        let delivery = Delivery {
            webhooks: webhooks.clone(),
            ctx: ctx.clone(),
            client: client.clone(),
            endpoint,
        };
        tokio::spawn(delivery.run(index, event));
    }
}

struct Delivery {
    webhooks: Arc<Webhooks>,
    ctx: Arc<Context>,
    client: reqwest::Client,
    endpoint: WebhookEndpoint,
}

impl Delivery {
    async fn run(self, index: usize, event: StripeEvent) {
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, event = %event.id, "webhook event not serializable");
                return;
            }
        };
        let mut pause = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            let delivered = self.attempt(&body).await;
            let last = delivered || attempt == ATTEMPTS || self.ctx.stopping();
            self.webhooks.update(index, |entry| {
                entry.attempts = attempt;
                entry.status = match (delivered, last) {
                    (true, _) => WebhookStatus::Delivered,
                    (false, true) => WebhookStatus::Failed,
                    (false, false) => WebhookStatus::Pending,
                };
            });
            if last {
                if !delivered {
                    tracing::warn!(event = %event.id, attempts = attempt, "webhook not delivered");
                }
                return;
            }
            self.ctx.pause(pause).await;
            pause *= 2;
        }
    }

    /// One POST; true when answered with a 2xx.
    async fn attempt(&self, body: &[u8]) -> bool {
        let signature = sign(
            &self.endpoint.secret,
            self.ctx.clock.now().timestamp(),
            body,
        );
        let sent = self
            .client
            .post(&self.endpoint.url)
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", signature)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(response) => response.status().is_success(),
            Err(error) => {
                tracing::debug!(%error, "webhook attempt failed");
                false
            }
        }
    }
}
