//! Which Stripe event each change makes, and its id: a payment intent
//! created, authorized (`amount_capturable_updated`), waiting for 3-D
//! Secure (`requires_action`), charged (`succeeded`), declined or failing
//! authentication (`payment_failed`) or canceled (by a call, a lapse, or by
//! hand through the admin API), and a refund created. Events go to the
//! [`Webhooks`] log and queue.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;

use autobook_contracts::stripe_webhook::StripeEvent;

use super::intents::{PaymentIntent, Status};
use super::webhooks::Webhooks;
use crate::ids::{Instance, stable_hash};

pub(crate) const INTENT_CREATED: &str = "payment_intent.created";
pub(crate) const INTENT_AUTHORIZED: &str = "payment_intent.amount_capturable_updated";
pub(crate) const INTENT_SUCCEEDED: &str = "payment_intent.succeeded";
pub(crate) const INTENT_FAILED: &str = "payment_intent.payment_failed";
pub(crate) const INTENT_REQUIRES_ACTION: &str = "payment_intent.requires_action";
pub(crate) const INTENT_CANCELED: &str = "payment_intent.canceled";
pub(crate) const REFUND_CREATED: &str = "refund.created";

/// The event the change of `before` into `after` makes, if any.
pub(crate) fn of_change(before: &PaymentIntent, after: &PaymentIntent) -> Option<&'static str> {
    if before.status == after.status && before.latest_charge == after.latest_charge {
        return None;
    }
    match after.status {
        Status::RequiresCapture => Some(INTENT_AUTHORIZED),
        Status::RequiresAction => Some(INTENT_REQUIRES_ACTION),
        Status::Succeeded => Some(INTENT_SUCCEEDED),
        Status::Canceled => Some(INTENT_CANCELED),
        // A new charge attempt that left the intent waiting: declined.
        Status::RequiresPaymentMethod if after.last_payment_error.is_some() => Some(INTENT_FAILED),
        Status::RequiresPaymentMethod | Status::RequiresConfirmation => None,
    }
}

/// Makes events with ids from their own seeded RNG (the other ids do not
/// move when events are added).
#[derive(Debug)]
pub(crate) struct Events {
    rng: StdRng,
    instance: Instance,
    webhooks: Arc<Webhooks>,
}

impl Events {
    pub(crate) fn new(seed: u64, instance: Instance, webhooks: Arc<Webhooks>) -> Events {
        Events {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "stripe-events"])),
            instance,
            webhooks,
        }
    }

    pub(crate) fn emit(&mut self, event_type: &str, object: Value, now: DateTime<Utc>) {
        let id = self.instance.stripe_id(&mut self.rng, "evt");
        self.webhooks
            .enqueue(StripeEvent::new(id, event_type, now.timestamp(), object));
    }

    /// Emits what the change of `before` into `after` makes, if anything.
    pub(crate) fn intent_changed(
        &mut self,
        before: &PaymentIntent,
        after: &PaymentIntent,
        now: DateTime<Utc>,
    ) {
        if let Some(event_type) = of_change(before, after) {
            self.emit(event_type, after.json(), now);
        }
    }
}
