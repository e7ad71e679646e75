//! `autobook chaos --provider-faults`: the providers misbehave as the real
//! ones do, on top of the process kills.
//!
//! - every call that has an effect may lose its answer after the effect (a
//!   500 the provider keeps under the key, or an answer held back past the
//!   client's timeout);
//! - Stripe's search lags writes by a minute, and a prober searches for
//!   the run's intents all along, as a careless client would: its stale
//!   answers show the lag was in force (nothing of autobook searches);
//! - calls are slowed, and throttled with 429s;
//! - Stripe's webhooks, sent to a gateway child, arrive late, some twice
//!   and out of order.
//!
//! Every injected fault is counted by the sandbox; the summary reports the
//! counts of the kinds a run must meet ([`KINDS`]) and whether each
//! reached [`MIN_PER_KIND`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use autobook_sandbox::{Behaviour, Faults, Ledger};

/// The fault kinds a provider-fault run injects, as the ledger names them.
pub const KINDS: &[&str] = &[
    "server_error_after_effect",
    "timeout_after_effect",
    "search_lagged",
    "slow",
    "rate_limited",
    "webhook_delayed",
    "webhook_duplicated",
];

/// Injections of each kind a run of the documented size should reach.
pub const MIN_PER_KIND: u64 = 100;

/// The children's provider timeout in a provider-fault run.
pub const PROVIDER_TIMEOUT: Duration = Duration::from_millis(1500);

/// How long a lost answer is held back: past the client's timeout.
const LOST_ANSWER_DELAY: Duration = Duration::from_millis(2500);

/// How often the prober searches.
const PROBE_EVERY: Duration = Duration::from_millis(150);

/// The scenario's faults with the providers' misbehaviour added.
pub fn faults(base: Faults) -> Faults {
    Faults {
        server_error_after_effect_rate: 0.06,
        timeout_after_effect_rate: 0.06,
        timeout_delay: LOST_ANSWER_DELAY,
        slow_rate: 0.03,
        slow_delay: Duration::from_millis(700),
        rate_limited_rate: 0.03,
        ..base
    }
}

/// The providers' harder behaviours, search lagging a minute.
pub fn behaviour() -> Behaviour {
    Behaviour {
        stripe_search_lag: Duration::from_secs(60),
        ..Behaviour::default()
    }
}

/// What the providers' faults came to in a run.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderFaults {
    /// Injections of each kind of [`KINDS`].
    pub injected: BTreeMap<String, u64>,
    /// Every kind reached [`MIN_PER_KIND`].
    pub each_kind_met: bool,
    /// Answers lost after the effect, by call (every call that has an
    /// effect should appear).
    pub lost_answers_by_call: BTreeMap<String, u64>,
    /// Searches the prober made.
    pub probe_searches: u64,
}

impl ProviderFaults {
    /// The counts of a run, from its sandbox's ledger.
    pub fn of(ledger: &Ledger, probe_searches: u64) -> Self {
        let injected: BTreeMap<String, u64> = KINDS
            .iter()
            .map(|kind| {
                (
                    (*kind).to_owned(),
                    ledger.injected.get(*kind).copied().unwrap_or(0),
                )
            })
            .collect();
        let lost_answers_by_call = ledger
            .injected_by_call
            .iter()
            .filter_map(|(call, kinds)| {
                let lost = kinds.get("server_error_after_effect").copied().unwrap_or(0)
                    + kinds.get("timeout_after_effect").copied().unwrap_or(0);
                (lost > 0).then(|| (call.clone(), lost))
            })
            .collect();
        ProviderFaults {
            each_kind_met: injected.values().all(|n| *n >= MIN_PER_KIND),
            injected,
            lost_answers_by_call,
            probe_searches,
        }
    }

    pub fn print(&self) {
        let counts: Vec<String> = self
            .injected
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        println!("  provider faults  {}", counts.join(", "));
        let calls: Vec<String> = self
            .lost_answers_by_call
            .iter()
            .map(|(call, n)| format!("{call} {n}"))
            .collect();
        println!(
            "    answers lost after the effect, by call: {}",
            calls.join("; ")
        );
        println!(
            "    {} searches by the prober; at least {MIN_PER_KIND} of each kind: {}",
            self.probe_searches,
            if self.each_kind_met { "yes" } else { "no" }
        );
    }
}

/// Searches Stripe for the intents of recently submitted sagas until
/// `stop`, as a client relying on search would; returns how many searches
/// it made. The sandbox counts the answers its lag made stale.
pub async fn probe_search(
    stripe_url: String,
    submitted: std::sync::Arc<super::submit::Progress>,
    stop: CancellationToken,
) -> u64 {
    let client = reqwest::Client::new();
    let mut searches = 0;
    let mut ticks = tokio::time::interval(PROBE_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return searches,
            _ = ticks.tick() => {}
        }
        let Some(saga) = recently_submitted(&submitted, searches) else {
            continue;
        };
        let query = format!("metadata['saga_id']:'{saga}'");
        let sent = client
            .get(format!("{stripe_url}/v1/payment_intents/search"))
            .bearer_auth("sk_test_chaos_prober")
            .query(&[("query", query.as_str())])
            .send()
            .await;
        if sent.is_ok() {
            searches += 1;
        }
    }
}

/// One of the sagas submitted between a minute and two seconds ago (their
/// intents are young enough for the lag to hide), taken in turn.
fn recently_submitted(progress: &super::submit::Progress, turn: u64) -> Option<Uuid> {
    let now = chrono::Utc::now();
    let mut recent: Vec<Uuid> = progress
        .submitted_at
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .filter(|(_, at)| {
            let age = now - **at;
            age >= chrono::Duration::seconds(2) && age <= chrono::Duration::seconds(60)
        })
        .map(|(id, _)| *id)
        .collect();
    recent.sort();
    let index = usize::try_from(turn).unwrap_or(0) % recent.len().max(1);
    recent.get(index).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_faults_add_to_the_scenario_and_stay_valid() {
        let base = Faults::scenario("mixed").unwrap();
        let faults = faults(base.clone());
        faults.validate().unwrap();
        assert_eq!(faults.offer_expired_rate, base.offer_expired_rate);
        assert!(faults.server_error_after_effect_rate > 0.0);
        assert!(faults.timeout_after_effect_rate > 0.0);
        assert!(faults.timeout_delay > PROVIDER_TIMEOUT);
        assert!(faults.slow_delay < PROVIDER_TIMEOUT);
        assert!(behaviour().stripe_search_lag >= Duration::from_secs(60));
    }

    #[test]
    fn each_kind_is_reported_and_judged_against_the_minimum() {
        let mut ledger = Ledger::default();
        for kind in KINDS {
            ledger.injected.insert((*kind).to_owned(), MIN_PER_KIND);
        }
        ledger.injected_by_call.insert(
            "duffel POST /air/orders".into(),
            BTreeMap::from([("timeout_after_effect".to_owned(), 3)]),
        );
        let report = ProviderFaults::of(&ledger, 5);
        assert!(report.each_kind_met);
        assert_eq!(report.lost_answers_by_call["duffel POST /air/orders"], 3);
        ledger.injected.insert("slow".into(), MIN_PER_KIND - 1);
        assert!(!ProviderFaults::of(&ledger, 5).each_kind_met);
        ledger.injected.remove("search_lagged");
        let report = ProviderFaults::of(&ledger, 0);
        assert_eq!(report.injected["search_lagged"], 0, "every kind listed");
    }
}
