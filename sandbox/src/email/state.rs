//! The email sandbox's memory, behind one mutex: its RNG, sent emails,
//! stored idempotent answers and per-key rate windows.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::message::OutgoingEmail;
use crate::idempotency::IdempotencyStore;
use crate::ids::stable_hash;
use crate::ledger::{Ledger, LedgerEmail, LedgerEmailTag};

/// A sent email.
#[derive(Debug, Clone)]
pub(crate) struct SentEmail {
    pub(crate) id: String,
    pub(crate) email: OutgoingEmail,
    pub(crate) created_at: DateTime<Utc>,
}

impl SentEmail {
    pub(crate) fn json(&self) -> Value {
        let email = &self.email;
        json!({
            "object": "email",
            "id": self.id,
            "from": email.from,
            "to": email.to,
            "cc": email.cc,
            "bcc": email.bcc,
            "reply_to": email.reply_to,
            "subject": email.subject,
            "html": email.html,
            "text": email.text,
            "tags": email.tags.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
            "created_at": self.created_at,
            "last_event": "delivered",
        })
    }
}

#[derive(Debug)]
pub(crate) struct EmailState {
    pub(crate) rng: StdRng,
    pub(crate) sent: Vec<SentEmail>,
    pub(crate) idempotency: IdempotencyStore,
    /// Request instants in the last second, per API key.
    windows: BTreeMap<String, VecDeque<Instant>>,
}

impl EmailState {
    pub(crate) fn new(seed: u64) -> Self {
        EmailState {
            rng: StdRng::seed_from_u64(stable_hash(&[&seed.to_string(), "email"])),
            sent: Vec::new(),
            idempotency: IdempotencyStore::default(),
            windows: BTreeMap::new(),
        }
    }

    /// Counts a request against the key's one-second window; false when
    /// the key is over its limit (the request is not counted then).
    pub(crate) fn admit(&mut self, api_key: &str, per_second: u32, now: Instant) -> bool {
        let window = self.windows.entry(api_key.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= per_second as usize {
            return false;
        }
        window.push_back(now);
        true
    }

    pub(crate) fn write_ledger(&self, ledger: &mut Ledger) {
        ledger.emails = self
            .sent
            .iter()
            .map(|sent| LedgerEmail {
                id: sent.id.clone(),
                to: sent.email.to.clone(),
                subject: sent.email.subject.clone(),
                tags: sent
                    .email
                    .tags
                    .iter()
                    .map(|(name, value)| LedgerEmailTag {
                        name: name.clone(),
                        value: value.clone(),
                    })
                    .collect(),
                created_at: sent.created_at,
                status: "sent".into(),
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_window_is_per_key_and_slides() {
        let mut state = EmailState::new(1);
        let start = Instant::now();
        assert!(state.admit("re_a", 2, start));
        assert!(state.admit("re_a", 2, start));
        assert!(!state.admit("re_a", 2, start + Duration::from_millis(500)));
        assert!(state.admit("re_b", 2, start));
        assert!(state.admit("re_a", 2, start + Duration::from_secs(1)));
    }
}
