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
/// and Resend's 256 character limits and Duffel order metadata.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

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
