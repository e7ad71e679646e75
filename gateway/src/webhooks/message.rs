//! What a verified `payment_intent.*` event about one of our sagas becomes:
//! a `payment.intent_updated` envelope whose message id is derived from the
//! event (so the orchestrator's inbox drops the same event published
//! twice, whatever happened in between).

use chrono::DateTime;
use uuid::Uuid;

use autobook_contracts::Envelope;
use autobook_contracts::events::PaymentIntentUpdated;
use autobook_contracts::stripe_webhook::{IntentChange, StripeEvent};

/// The message id for a Stripe event: shaped as a UUIDv7 (what the wire
/// format requires) with the event's creation time as its timestamp and
/// the rest of its bits from the UUIDv5 of the event's id, so the same
/// event always gets the same id.
pub fn message_id(event: &StripeEvent) -> Uuid {
    let millis = u64::try_from(event.created)
        .unwrap_or(0)
        .saturating_mul(1000);
    let created = uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid();
    Envelope::derived_message_id(created, event.id.as_bytes())
}

/// The envelope for `change` (an intent of saga `saga_id`), starting a
/// trace of its own (the receiver puts it under its span when exported).
pub fn envelope(event: &StripeEvent, change: &IntentChange, saga_id: Uuid) -> Envelope {
    let mut envelope = Envelope::new(
        saga_id,
        PaymentIntentUpdated {
            payment_intent_id: change.payment_intent_id.clone(),
            status: change.status.clone(),
            event_id: event.id.clone(),
            authorize_key: change.idempotency_key.clone(),
            cancellation_reason: change.cancellation_reason.clone(),
        },
    );
    envelope.message_id = message_id(event);
    if let Some(occurred_at) = DateTime::from_timestamp(event.created, 0) {
        envelope.occurred_at = occurred_at;
    }
    envelope
}

#[cfg(test)]
mod tests {
    use super::*;
    use autobook_contracts::{IdempotencyKey, Step};
    use serde_json::json;

    fn event(id: &str, created: i64) -> StripeEvent {
        StripeEvent::new(id.into(), "payment_intent.canceled", created, json!({}))
    }

    #[test]
    fn the_same_event_always_gets_the_same_valid_message_id() {
        let first = message_id(&event("evt_1", 1_700_000_000));
        assert_eq!(first, message_id(&event("evt_1", 1_700_000_000)));
        assert_ne!(first, message_id(&event("evt_2", 1_700_000_000)));
        assert_eq!(first.get_version(), Some(uuid::Version::SortRand));
        let (seconds, _) = first.get_timestamp().unwrap().to_unix();
        assert_eq!(seconds, 1_700_000_000);
    }

    #[test]
    fn the_envelope_carries_the_change_and_decodes() {
        let saga = Uuid::now_v7();
        let change = IntentChange {
            payment_intent_id: "pi_1".into(),
            status: "canceled".into(),
            saga_id: Some(saga),
            idempotency_key: Some(IdempotencyKey::derive(saga, Step::Authorize, 1)),
            cancellation_reason: Some("automatic".into()),
        };
        let envelope = envelope(&event("evt_1", 1_700_000_000), &change, saga);
        let decoded = Envelope::decode(&envelope.encode()).unwrap();
        assert_eq!(decoded, envelope);
        let autobook_contracts::Message::PaymentIntentUpdated(update) = decoded.message else {
            panic!("{decoded:?}");
        };
        assert!(update.is_canceled());
        assert_eq!(update.event_id, "evt_1");
        assert_eq!(
            update.authorize_key,
            Some(IdempotencyKey::derive(saga, Step::Authorize, 1))
        );
    }
}
