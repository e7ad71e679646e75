//! The webhook log and queue: every Stripe event is logged (for the
//! ledger) and queued for [`super::delivery`], which posts it to the
//! endpoint in force when it is dispatched, late, at least once, sometimes
//! twice, and so in any order. The log tells what became of each event,
//! and whether its first delivery overtook an earlier event about the same
//! object.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};

use autobook_contracts::stripe_webhook::StripeEvent;

use crate::config::WebhookEndpoint;
use crate::ledger::{LedgerWebhook, WebhookStatus};
use crate::lock::locked;

/// An event waiting for dispatch, with its place in the log.
pub(crate) type Queued = (usize, StripeEvent);

/// One logged event and its copies still on their way.
#[derive(Debug)]
struct Entry {
    webhook: LedgerWebhook,
    pending_copies: u32,
}

/// The endpoint, the log of every event, and the queue to the dispatcher.
#[derive(Debug)]
pub(crate) struct Webhooks {
    endpoint: Mutex<Option<WebhookEndpoint>>,
    log: Mutex<Vec<Entry>>,
    queue: mpsc::UnboundedSender<Queued>,
    /// Bumped whenever a delivery's status changes.
    changes: watch::Sender<u64>,
}

/// The dispatcher's end of the queue.
#[derive(Debug)]
pub(crate) struct Queue(pub(crate) mpsc::UnboundedReceiver<Queued>);

/// What one finished attempt meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attempted {
    /// The event's first delivery, made while an earlier event about the
    /// same object was not delivered yet.
    pub(crate) overtook: bool,
}

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
        log.push(Entry {
            webhook: LedgerWebhook {
                id: event.id.clone(),
                event_type: event.event_type.clone(),
                object_id: event.data.object["id"].as_str().unwrap_or("").to_owned(),
                attempts: 0,
                copies: 0,
                status: WebhookStatus::Pending,
            },
            pending_copies: 0,
        });
        // The dispatcher is gone only once the sandbox stops.
        let _ = self.queue.send((log.len() - 1, event));
    }

    pub(crate) fn set_endpoint(&self, endpoint: Option<WebhookEndpoint>) {
        *locked(&self.endpoint) = endpoint;
    }

    /// The endpoint in force.
    pub(crate) fn endpoint(&self) -> Option<WebhookEndpoint> {
        locked(&self.endpoint).clone()
    }

    /// The URL events go to (never the secret).
    pub(crate) fn endpoint_url(&self) -> Option<String> {
        locked(&self.endpoint)
            .as_ref()
            .map(|endpoint| endpoint.url.clone())
    }

    pub(crate) fn log(&self) -> Vec<LedgerWebhook> {
        locked(&self.log)
            .iter()
            .map(|entry| entry.webhook.clone())
            .collect()
    }

    /// Resolves once no delivery is pending (each copy delivered, given up,
    /// or not sent for want of an endpoint).
    pub(crate) async fn settled(&self) {
        let mut changes = self.changes.subscribe();
        loop {
            let pending = locked(&self.log).iter().any(|entry| {
                entry.webhook.status == WebhookStatus::Pending || entry.pending_copies > 0
            });
            if !pending || changes.changed().await.is_err() {
                return;
            }
        }
    }

    /// No endpoint was set when the event was dispatched.
    pub(crate) fn not_sent(&self, index: usize) {
        self.update(index, |entry| entry.webhook.status = WebhookStatus::NotSent);
    }

    /// The event goes out in `copies` copies.
    pub(crate) fn sending(&self, index: usize, copies: u32) {
        self.update(index, |entry| {
            entry.webhook.copies = copies;
            entry.pending_copies = copies;
        });
    }

    /// One attempt of a copy ended (`delivered` or not); `last` when the
    /// copy is done (delivered, or given up).
    pub(crate) fn attempted(&self, index: usize, delivered: bool, last: bool) -> Attempted {
        let mut overtook = false;
        let mut log = locked(&self.log);
        if let Some(entry) = log.get(index) {
            let first = delivered && entry.webhook.status != WebhookStatus::Delivered;
            let object = &entry.webhook.object_id;
            overtook = first
                && log[..index].iter().any(|earlier| {
                    &earlier.webhook.object_id == object
                        && earlier.webhook.status == WebhookStatus::Pending
                });
        }
        if let Some(entry) = log.get_mut(index) {
            entry.webhook.attempts += 1;
            if delivered {
                entry.webhook.status = WebhookStatus::Delivered;
            }
            if last {
                entry.pending_copies = entry.pending_copies.saturating_sub(1);
            }
            if entry.pending_copies == 0 && entry.webhook.status == WebhookStatus::Pending {
                entry.webhook.status = WebhookStatus::Failed;
            }
        }
        drop(log);
        self.changes.send_modify(|n| *n += 1);
        Attempted { overtook }
    }

    /// A copy given up before any attempt (the sandbox stopped).
    pub(crate) fn abandoned(&self, index: usize) {
        self.update(index, |entry| {
            entry.pending_copies = entry.pending_copies.saturating_sub(1);
            if entry.pending_copies == 0 && entry.webhook.status == WebhookStatus::Pending {
                entry.webhook.status = WebhookStatus::Failed;
            }
        });
    }

    fn update(&self, index: usize, update: impl FnOnce(&mut Entry)) {
        if let Some(entry) = locked(&self.log).get_mut(index) {
            update(entry);
        }
        self.changes.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(id: &str, object: &str) -> StripeEvent {
        StripeEvent::new(
            id.into(),
            "payment_intent.created",
            0,
            json!({ "id": object }),
        )
    }

    #[test]
    fn a_first_delivery_ahead_of_an_earlier_event_of_its_object_overtook_it() {
        let (webhooks, _queue) = Webhooks::new(None);
        webhooks.enqueue(event("evt_1", "pi_a"));
        webhooks.enqueue(event("evt_2", "pi_b"));
        webhooks.enqueue(event("evt_3", "pi_a"));
        for index in 0..3 {
            webhooks.sending(index, 1);
        }
        assert!(
            !webhooks.attempted(1, true, true).overtook,
            "another object"
        );
        assert!(webhooks.attempted(2, true, true).overtook);
        assert!(
            !webhooks.attempted(0, false, false).overtook,
            "failed attempt"
        );
        assert!(!webhooks.attempted(0, true, true).overtook);
        let log = webhooks.log();
        assert_eq!(log[0].attempts, 2);
        assert!(log.iter().all(|w| w.status == WebhookStatus::Delivered));
    }

    #[test]
    fn an_event_is_pending_until_every_copy_is_done_and_delivered_if_one_was() {
        let (webhooks, _queue) = Webhooks::new(None);
        webhooks.enqueue(event("evt_1", "pi_a"));
        webhooks.sending(0, 2);
        webhooks.attempted(0, false, true);
        assert_eq!(webhooks.log()[0].status, WebhookStatus::Pending);
        webhooks.attempted(0, true, true);
        assert_eq!(webhooks.log()[0].status, WebhookStatus::Delivered);
        webhooks.enqueue(event("evt_2", "pi_a"));
        webhooks.sending(1, 1);
        webhooks.abandoned(1);
        let log = webhooks.log();
        assert_eq!((log[1].status, log[1].copies), (WebhookStatus::Failed, 1));
    }
}
