//! What Stripe's search sees: a short history of each payment intent, so
//! that a search can answer with every intent as it stood some time ago
//! (Stripe: "under normal operating conditions, data is searchable in under
//! 1 minute"). An intent created after that instant is absent; one changed
//! since shows its earlier state.
//!
//! A snapshot is kept while a later one is younger than [`MAX_LAG`] (the
//! longest lag a search may be set to), and at most [`KEPT`] per intent.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use super::intents::PaymentIntent;
use crate::behaviour::MAX_SEARCH_LAG as MAX_LAG;

/// Snapshots kept per intent at most.
const KEPT: usize = 64;

/// Each intent's states, oldest first, with when each began.
#[derive(Debug, Default)]
pub(crate) struct SearchIndex {
    history: BTreeMap<String, VecDeque<(DateTime<Utc>, PaymentIntent)>>,
}

impl SearchIndex {
    /// Notes the intent's state at `now` (nothing if it did not change).
    pub(crate) fn record(&mut self, intent: &PaymentIntent, now: DateTime<Utc>) {
        let history = self.history.entry(intent.id.clone()).or_default();
        if history.back().is_some_and(|(_, last)| last == intent) {
            return;
        }
        let horizon = now - chrono::Duration::from_std(MAX_LAG).unwrap_or_default();
        while history.len() >= KEPT || history.get(1).is_some_and(|(at, _)| *at <= horizon) {
            history.pop_front();
        }
        history.push_back((now, intent.clone()));
    }

    /// The intent as it stood at `at`; None if it did not exist yet.
    pub(crate) fn as_of(&self, id: &str, at: DateTime<Utc>) -> Option<&PaymentIntent> {
        self.history
            .get(id)?
            .iter()
            .rev()
            .find(|(since, _)| *since <= at)
            .map(|(_, intent)| intent)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::stripe::intents::Status;

    fn intent(status: Status) -> PaymentIntent {
        PaymentIntent {
            id: "pi_1".into(),
            amount: 100,
            currency: "usd".into(),
            status,
            capture_method: "manual".into(),
            amount_capturable: 0,
            amount_received: 0,
            amount_refunded: 0,
            payment_method: None,
            payment_method_types: vec!["card".into()],
            customer: None,
            description: None,
            metadata: BTreeMap::new(),
            created: 0,
            client_secret: "s".into(),
            cancellation_reason: None,
            canceled_at: None,
            last_payment_error: None,
            latest_charge: None,
            authorized_at: None,
        }
    }

    #[test]
    fn answers_with_the_state_at_an_instant() {
        let mut index = SearchIndex::default();
        let t0 = Utc::now();
        let second = chrono::Duration::seconds(1);
        index.record(&intent(Status::RequiresConfirmation), t0);
        index.record(&intent(Status::RequiresConfirmation), t0 + second);
        index.record(&intent(Status::RequiresCapture), t0 + second * 10);
        assert!(
            index.as_of("pi_1", t0 - second).is_none(),
            "not yet created"
        );
        let early = index.as_of("pi_1", t0 + second * 5).unwrap();
        assert_eq!(early.status, Status::RequiresConfirmation);
        let late = index.as_of("pi_1", t0 + second * 10).unwrap();
        assert_eq!(late.status, Status::RequiresCapture);
        assert!(index.as_of("pi_2", t0).is_none());
    }

    #[test]
    fn old_states_are_forgotten_once_a_later_one_is_past_the_longest_lag() {
        let mut index = SearchIndex::default();
        let t0 = Utc::now();
        index.record(&intent(Status::RequiresConfirmation), t0);
        index.record(
            &intent(Status::RequiresCapture),
            t0 + chrono::Duration::seconds(1),
        );
        let much_later = t0 + chrono::Duration::hours(3);
        index.record(&intent(Status::Succeeded), much_later);
        assert_eq!(index.history["pi_1"].len(), 2);
        let seen = index
            .as_of("pi_1", much_later - chrono::Duration::hours(1))
            .unwrap();
        assert_eq!(seen.status, Status::RequiresCapture);
    }
}
