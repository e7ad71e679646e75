//! Stored responses for idempotency keys (Stripe and the email API).
//!
//! A request that starts executing reserves its key; its answer (success or
//! error) is then stored with a fingerprint of the request and replayed for
//! 24 hours. The same key with another fingerprint is a mismatch; the same
//! key while the first request still runs is "in flight". Keys are scoped
//! per API key.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// How long an answer is replayed.
const RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// An answer as it is replayed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredResponse {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

/// What a request finds under its key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Begin {
    /// Nothing stored: the key is now reserved for this request.
    Fresh,
    /// A finished request with the same fingerprint: answer with this.
    Replay(StoredResponse),
    /// The key was used with other parameters.
    Mismatch,
    /// A request with this key is still executing.
    InFlight,
}

#[derive(Debug)]
enum EntryState {
    InFlight,
    Done(StoredResponse),
}

#[derive(Debug)]
struct Entry {
    fingerprint: String,
    created: DateTime<Utc>,
    state: EntryState,
}

/// Keys per (API key, idempotency key).
#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    entries: BTreeMap<(String, String), Entry>,
}

impl IdempotencyStore {
    /// Looks the key up and reserves it when it is new (or expired).
    pub(crate) fn begin(
        &mut self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Begin {
        let id = (scope.to_owned(), key.to_owned());
        if let Some(entry) = self.entries.get(&id)
            && now - entry.created < RETENTION
        {
            if entry.fingerprint != fingerprint {
                return Begin::Mismatch;
            }
            return match &entry.state {
                EntryState::InFlight => Begin::InFlight,
                EntryState::Done(response) => Begin::Replay(response.clone()),
            };
        }
        self.entries.insert(
            id,
            Entry {
                fingerprint: fingerprint.to_owned(),
                created: now,
                state: EntryState::InFlight,
            },
        );
        Begin::Fresh
    }

    /// Stores the answer of a reserved key.
    pub(crate) fn complete(&mut self, scope: &str, key: &str, response: StoredResponse) {
        if let Some(entry) = self.entries.get_mut(&(scope.to_owned(), key.to_owned())) {
            entry.state = EntryState::Done(response);
        }
    }

    /// Forgets a reservation whose request ended before executing
    /// (injected transient error, dropped connection).
    pub(crate) fn abandon(&mut self, scope: &str, key: &str) {
        let id = (scope.to_owned(), key.to_owned());
        if matches!(
            self.entries.get(&id).map(|entry| &entry.state),
            Some(EntryState::InFlight)
        ) {
            self.entries.remove(&id);
        }
    }
}

/// Runs a release action when dropped unless disarmed: a reservation whose
/// request is dropped mid-way (client gone) must not block the key forever.
pub(crate) struct ReleaseOnDrop<F: FnOnce()> {
    release: Option<F>,
}

impl<F: FnOnce()> ReleaseOnDrop<F> {
    pub(crate) fn new(release: F) -> Self {
        ReleaseOnDrop {
            release: Some(release),
        }
    }

    /// The request completed: keep the reservation.
    pub(crate) fn disarm(mut self) {
        self.release = None;
    }
}

impl<F: FnOnce()> Drop for ReleaseOnDrop<F> {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> StoredResponse {
        StoredResponse {
            status: 200,
            body: Value::String(body.into()),
        }
    }

    #[test]
    fn reserves_replays_and_detects_mismatch() {
        let mut store = IdempotencyStore::default();
        let now = Utc::now();
        assert_eq!(store.begin("sk_a", "k1", "f1", now), Begin::Fresh);
        assert_eq!(store.begin("sk_a", "k1", "f1", now), Begin::InFlight);
        assert_eq!(store.begin("sk_a", "k1", "f2", now), Begin::Mismatch);
        store.complete("sk_a", "k1", ok("first"));
        assert_eq!(
            store.begin("sk_a", "k1", "f1", now),
            Begin::Replay(ok("first"))
        );
        // Another API key has its own namespace.
        assert_eq!(store.begin("sk_b", "k1", "f2", now), Begin::Fresh);
        // After 24 hours the key is free again.
        let later = now + chrono::Duration::hours(25);
        assert_eq!(store.begin("sk_a", "k1", "f2", later), Begin::Fresh);
    }

    #[test]
    fn abandoned_reservations_are_forgotten_but_answers_are_not() {
        let mut store = IdempotencyStore::default();
        let now = Utc::now();
        store.begin("s", "k", "f", now);
        store.abandon("s", "k");
        assert_eq!(store.begin("s", "k", "other", now), Begin::Fresh);
        store.complete("s", "k", ok("x"));
        store.abandon("s", "k");
        assert_eq!(store.begin("s", "k", "other", now), Begin::Replay(ok("x")));
    }

    #[test]
    fn release_runs_unless_disarmed() {
        let mut released = false;
        {
            let _guard = ReleaseOnDrop::new(|| released = true);
        }
        assert!(released);
        let mut kept = true;
        ReleaseOnDrop::new(|| kept = false).disarm();
        assert!(kept);
    }
}
