//! The Stripe event object a webhook delivers:
//! `{"id":"evt_...","object":"event","api_version":...,"created":<unix>,
//! "livemode":false,"type":"payment_intent.canceled","data":{"object":{...}}}`,
//! where `data.object` is the resource as the API renders it after the
//! change. Only what the receiver reads is typed; the object stays JSON.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::idempotency::IdempotencyKey;

/// The API version events are rendered in.
pub const API_VERSION: &str = "2024-06-20";

/// The metadata key of a payment intent that names its saga.
pub const SAGA_ID_METADATA: &str = "saga_id";

/// The metadata key of a payment intent that names the step (its
/// idempotency key) that created it.
pub const IDEMPOTENCY_KEY_METADATA: &str = "idempotency_key";

/// One Stripe event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripeEvent {
    /// `evt_...`, unique per event; a redelivery carries the same id.
    pub id: String,
    #[serde(default = "event_object")]
    pub object: String,
    #[serde(default)]
    pub api_version: Option<String>,
    /// When the change happened (Unix seconds).
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
    /// `payment_intent.canceled`, `refund.created`, ...
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: EventData,
}

/// The changed resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    pub object: Value,
}

fn event_object() -> String {
    "event".to_owned()
}

/// What a `payment_intent.*` event says about its intent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentChange {
    /// `pi_...`.
    pub payment_intent_id: String,
    /// The intent's status after the change (`canceled`, `succeeded`, ...).
    pub status: String,
    /// The saga named in the intent's metadata, if it names one.
    pub saga_id: Option<Uuid>,
    /// The idempotency key of the step that created it, from its metadata.
    pub idempotency_key: Option<IdempotencyKey>,
    /// Why it was canceled (`automatic` for a lapsed hold, or the reason
    /// given to the cancel call).
    pub cancellation_reason: Option<String>,
}

/// A `payment_intent.*` event whose object is not a payment intent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {event_type} event's object has no {field}")]
pub struct EventError {
    pub event_type: String,
    pub field: &'static str,
}

impl StripeEvent {
    /// A test-mode event of the current API version.
    pub fn new(id: String, event_type: &str, created: i64, object: Value) -> StripeEvent {
        StripeEvent {
            id,
            object: event_object(),
            api_version: Some(API_VERSION.to_owned()),
            created,
            livemode: false,
            event_type: event_type.to_owned(),
            data: EventData { object },
        }
    }

    /// The intent a `payment_intent.*` event is about; None for other types.
    pub fn intent_change(&self) -> Result<Option<IntentChange>, EventError> {
        if !self.event_type.starts_with("payment_intent.") {
            return Ok(None);
        }
        let object = &self.data.object;
        let text = |field: &'static str| {
            object[field]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| EventError {
                    event_type: self.event_type.clone(),
                    field,
                })
        };
        Ok(Some(IntentChange {
            payment_intent_id: text("id")?,
            status: text("status")?,
            saga_id: object["metadata"][SAGA_ID_METADATA]
                .as_str()
                .and_then(|id| Uuid::parse_str(id).ok()),
            idempotency_key: object["metadata"][IDEMPOTENCY_KEY_METADATA]
                .as_str()
                .and_then(IdempotencyKey::parse),
            cancellation_reason: object["cancellation_reason"].as_str().map(str::to_owned),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn intent(status: &str, metadata: Value) -> Value {
        json!({
            "id": "pi_1", "object": "payment_intent", "status": status,
            "metadata": metadata, "cancellation_reason": "automatic",
        })
    }

    #[test]
    fn an_event_round_trips_in_stripe_shape() {
        let event = StripeEvent::new(
            "evt_1".into(),
            "payment_intent.canceled",
            1_700_000_000,
            intent("canceled", json!({})),
        );
        let wire = serde_json::to_value(&event).unwrap();
        assert_eq!(wire["object"], "event");
        assert_eq!(wire["type"], "payment_intent.canceled");
        assert_eq!(wire["livemode"], false);
        assert_eq!(wire["data"]["object"]["id"], "pi_1");
        assert_eq!(serde_json::from_value::<StripeEvent>(wire).unwrap(), event);
    }

    #[test]
    fn a_payment_intent_event_names_its_intent_and_saga() {
        let saga = Uuid::now_v7();
        let event = StripeEvent::new(
            "evt_1".into(),
            "payment_intent.canceled",
            0,
            intent(
                "canceled",
                json!({
                    "saga_id": saga.to_string(),
                    "idempotency_key": format!("{saga}:authorize:1"),
                }),
            ),
        );
        assert_eq!(
            event.intent_change(),
            Ok(Some(IntentChange {
                payment_intent_id: "pi_1".into(),
                status: "canceled".into(),
                saga_id: Some(saga),
                idempotency_key: Some(IdempotencyKey::derive(saga, crate::Step::Authorize, 1)),
                cancellation_reason: Some("automatic".into()),
            }))
        );
    }

    #[test]
    fn other_events_and_foreign_intents_name_no_saga() {
        let refund = StripeEvent::new("evt_2".into(), "refund.created", 0, json!({"id": "re_1"}));
        assert_eq!(refund.intent_change(), Ok(None));
        let foreign = StripeEvent::new(
            "evt_3".into(),
            "payment_intent.succeeded",
            0,
            intent("succeeded", json!({ "saga_id": "not-a-uuid" })),
        );
        assert_eq!(foreign.intent_change().unwrap().unwrap().saga_id, None);
        let broken = StripeEvent::new("evt_4".into(), "payment_intent.created", 0, json!({}));
        assert_eq!(
            broken.intent_change().unwrap_err().to_string(),
            "the payment_intent.created event's object has no id"
        );
    }
}
