//! Deterministic idempotency keys: saga id + step + epoch.
//!
//! The orchestrator derives a key when it decides on a step and stores it in
//! the saga row together with the outgoing command, so every retry and every
//! redelivery of that step carries the same key to the provider.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A saga step that calls a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Search,
    Authorize,
    Order,
    Capture,
    Void,
    Cancel,
    Refund,
    Notify,
    /// The cancellation email: a step of its own, since a booked trip's
    /// confirmation already used `notify` in the same epoch.
    NotifyCancellation,
}

impl Step {
    pub fn as_str(&self) -> &'static str {
        match self {
            Step::Search => "search",
            Step::Authorize => "authorize",
            Step::Order => "order",
            Step::Capture => "capture",
            Step::Void => "void",
            Step::Cancel => "cancel",
            Step::Refund => "refund",
            Step::Notify => "notify",
            Step::NotifyCancellation => "notify_cancellation",
        }
    }
}

/// `"<saga id>:<step>:<epoch>"`, at most 60 characters: fits Stripe's 255
/// and Resend's 256 character limits and Duffel order metadata. Only a key of that form is read from a message: a key is logged and
/// named in reasons, so free text from a sender must not pass for one.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl JsonSchema for IdempotencyKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IdempotencyKey".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "`\"<saga id>:<step>:<epoch>\"`, at most 60 characters: fits Stripe's 255\nand Resend's 256 character limits and Duffel order metadata."
        })
    }
}

/// A key not of the form autobook derives (the text is not repeated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected an idempotency key <saga id>:<step>:<epoch>")]
pub struct MalformedKey;

impl TryFrom<String> for IdempotencyKey {
    type Error = MalformedKey;
    fn try_from(text: String) -> Result<Self, MalformedKey> {
        IdempotencyKey::parse(&text).ok_or(MalformedKey)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> String {
        key.0
    }
}

impl IdempotencyKey {
    /// The key of `step` in the given epoch. An epoch counts the searches of
    /// a saga: a re-search after an expired offer starts a new epoch, so
    /// the new hold and order get new keys while retries keep the old ones.
    pub fn derive(saga_id: Uuid, step: Step, epoch: u32) -> Self {
        IdempotencyKey(format!("{saga_id}:{}:{epoch}", step.as_str()))
    }

    /// Reads a key as [`IdempotencyKey::derive`] writes it (a provider's
    /// metadata echoes it back); None for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let (saga, step, epoch) = (parts.next()?, parts.next()?, parts.next()?);
        let step: Step = serde_json::from_value(serde_json::Value::String(step.to_owned())).ok()?;
        let (saga, epoch) = (Uuid::parse_str(saga).ok()?, epoch.parse::<u32>().ok()?);
        let key = IdempotencyKey::derive(saga, step, epoch);
        (parts.next().is_none() && key.0 == text).then_some(key)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The step the key was derived for; None for a key not made by
    /// [`IdempotencyKey::derive`].
    pub fn step(&self) -> Option<Step> {
        let step = self.0.split(':').nth(1)?;
        serde_json::from_value(serde_json::Value::String(step.to_owned())).ok()
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdempotencyKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_only_as_derived() {
        let key = IdempotencyKey::derive(Uuid::nil(), Step::Authorize, 3);
        assert_eq!(key.step(), Some(Step::Authorize));
        assert_eq!(IdempotencyKey::parse(key.as_str()), Some(key));
        for bad in [
            "",
            "x:authorize:1",
            "00000000-0000-0000-0000-000000000000:pay:1",
            "00000000-0000-0000-0000-000000000000:authorize:one",
            "00000000-0000-0000-0000-000000000000:authorize:1:2",
            "00000000000000000000000000000000:authorize:1",
        ] {
            assert_eq!(IdempotencyKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_a_derived_key_is_read_and_a_malformed_one_is_not_repeated() {
        let key = IdempotencyKey::derive(Uuid::now_v7(), Step::Capture, 2);
        let read: IdempotencyKey = serde_json::from_value(serde_json::json!(key)).unwrap();
        assert_eq!(read, key);
        let error = serde_json::from_value::<IdempotencyKey>(serde_json::json!(
            "amelia@example.com:capture:1"
        ))
        .unwrap_err()
        .to_string();
        assert!(!error.contains("amelia"), "{error}");
        assert!(error.contains("<saga id>:<step>:<epoch>"), "{error}");
    }

    #[test]
    fn keys_are_deterministic_and_distinct_per_step_and_epoch() {
        let saga = Uuid::now_v7();
        assert_eq!(
            IdempotencyKey::derive(saga, Step::Order, 1),
            IdempotencyKey::derive(saga, Step::Order, 1)
        );
        assert_ne!(
            IdempotencyKey::derive(saga, Step::Order, 1),
            IdempotencyKey::derive(saga, Step::Order, 2)
        );
        assert_ne!(
            IdempotencyKey::derive(saga, Step::Order, 1),
            IdempotencyKey::derive(saga, Step::Capture, 1)
        );
        assert!(
            IdempotencyKey::derive(saga, Step::Authorize, 99)
                .as_str()
                .len()
                <= 60
        );
    }
}
