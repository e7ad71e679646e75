//! Webhook deliveries, as Stripe makes them: every event goes to the
//! endpoint in force when it is dispatched, as JSON with a
//! `Stripe-Signature` header (signed anew at each attempt, at the sandbox
//! clock's time), at least once: a failed or non-2xx attempt is tried again
//! after a pause that doubles, up to [`ATTEMPTS`] in all.
//!
//! As Stripe warns (an endpoint may receive the same event more than once,
//! and events are not guaranteed to arrive in the order they were
//! generated: <https://docs.stripe.com/webhooks>), each copy first waits a
//! random time
//! from `webhook_delay_ms`, and a share `webhook_duplicate_rate` of events
//! is sent twice, each copy with its own wait; so a later event of an
//! object may overtake an earlier one. Delays, copies and overtakings are
//! counted as injected faults. The draws come from a seeded RNG, in event
//! order.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use autobook_contracts::stripe_webhook::{StripeEvent, sign};

use super::webhooks::{Queue, Webhooks};
use crate::behaviour::Behaviour;
use crate::config::WebhookEndpoint;
use crate::context::Context;
use crate::faults::roll;
use crate::ids::stable_hash;
use crate::injected::{FaultKind, WEBHOOK_CALL};

/// Attempts at delivering one copy of an event.
pub(crate) const ATTEMPTS: u32 = 5;

/// The pause after the first failed attempt; each next one is twice as long.
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The waits of an event's copies: one each, two copies when duplicated.
fn draw_copies(behaviour: &Behaviour, rng: &mut StdRng) -> Vec<Duration> {
    let copies = if roll(rng, behaviour.webhook_duplicate_rate) {
        2
    } else {
        1
    };
    let (low, high) = behaviour.webhook_delay_ms;
    (0..copies)
        .map(|_| {
            if high == 0 {
                Duration::ZERO
            } else {
                Duration::from_millis(rng.random_range(low.min(high)..=high))
            }
        })
        .collect()
}

/// Runs until the sandbox stops: each queued event is delivered, copy by
/// copy, on tasks of their own to the endpoint in force (none: it stays
/// undelivered).
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
    let mut rng = StdRng::seed_from_u64(stable_hash(&[&ctx.seed.to_string(), "webhooks"]));
    loop {
        let next = tokio::select! {
            next = receiver.recv() => next,
            () = ctx.shutdown_signal() => None,
        };
        let Some((index, event)) = next else {
            return;
        };
        let Some(endpoint) = webhooks.endpoint() else {
            webhooks.not_sent(index);
            continue;
        };
        let waits = draw_copies(&ctx.behaviour(), &mut rng);
        webhooks.sending(index, u32::try_from(waits.len()).unwrap_or(1));
        if waits.len() > 1 {
            ctx.injections
                .count(FaultKind::WebhookDuplicated, WEBHOOK_CALL);
        }
        for wait in waits {
            if !wait.is_zero() {
                ctx.injections
                    .count(FaultKind::WebhookDelayed, WEBHOOK_CALL);
            }
            let delivery = Delivery {
                webhooks: webhooks.clone(),
                ctx: ctx.clone(),
                client: client.clone(),
                endpoint: endpoint.clone(),
            };
            tokio::spawn(delivery.run(index, event.clone(), wait));
        }
    }
}

struct Delivery {
    webhooks: Arc<Webhooks>,
    ctx: Arc<Context>,
    client: reqwest::Client,
    endpoint: WebhookEndpoint,
}

impl Delivery {
    async fn run(self, index: usize, event: StripeEvent, wait: Duration) {
        let body = match serde_json::to_vec(&event) {
            Ok(body) => body,
            Err(error) => {
                tracing::error!(%error, event = %event.id, "webhook event not serializable");
                self.webhooks.abandoned(index);
                return;
            }
        };
        self.ctx.pause(wait).await;
        if self.ctx.stopping() {
            self.webhooks.abandoned(index);
            return;
        }
        let mut pause = FIRST_RETRY;
        for attempt in 1..=ATTEMPTS {
            let delivered = self.attempt(&body).await;
            let last = delivered || attempt == ATTEMPTS || self.ctx.stopping();
            let attempted = self.webhooks.attempted(index, delivered, last);
            if attempted.overtook {
                self.ctx
                    .injections
                    .count(FaultKind::WebhookReordered, WEBHOOK_CALL);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_and_waits_follow_the_behaviour() {
        let mut rng = StdRng::seed_from_u64(1);
        let off = draw_copies(&Behaviour::lenient(), &mut rng);
        assert_eq!(off, vec![Duration::ZERO]);
        let always = Behaviour {
            webhook_delay_ms: (10, 20),
            webhook_duplicate_rate: 1.0,
            ..Behaviour::default()
        };
        let waits = draw_copies(&always, &mut rng);
        assert_eq!(waits.len(), 2);
        assert!(
            waits
                .iter()
                .all(|w| (Duration::from_millis(10)..=Duration::from_millis(20)).contains(w))
        );
    }
}
