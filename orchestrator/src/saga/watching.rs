//! Watching a trip whose price is not right yet: when the next search is
//! due, and the transitions into and out of the `watching` phase.
//!
//! The wait is `interval` while the deadline is far, shrinks in proportion
//! to the time left once the deadline is within `tighten_within`, never
//! drops below `min_interval`, and is moved by a jitter drawn from the saga
//! id and the search round (deterministic: the same saga in the same round
//! always waits the same, which keeps decisions pure and replayable).

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use autobook_contracts::Step;
use autobook_contracts::events::SagaTimer;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::offer::OfferSummary;

use super::decision::{Decision, Effect};
use super::policy::{Policy, WatchPolicy};
use super::state::{Phase, Saga};
use super::{finish, steps};

/// How long to wait before the next search, with `left` until the deadline.
pub fn next_search_in(watch: &WatchPolicy, left: Duration, saga_id: Uuid, round: u32) -> Duration {
    let tighten = watch.tighten_within.as_secs_f64();
    let base = watch.interval.as_secs_f64();
    let scaled = if tighten > 0.0 && left.as_secs_f64() < tighten {
        base * left.as_secs_f64() / tighten
    } else {
        base
    };
    let jitter = watch.jitter.clamp(0.0, 0.5) * unit_draw(saga_id, round);
    let wait = (scaled * (1.0 + jitter)).max(watch.min_interval.as_secs_f64());
    Duration::from_secs_f64(wait)
}

/// A number in [-1, 1] fixed by the saga and the round (SplitMix64).
fn unit_draw(saga_id: Uuid, round: u32) -> f64 {
    let mut x = (saga_id.as_u128() as u64) ^ ((saga_id.as_u128() >> 64) as u64);
    x ^= u64::from(round).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// The cheapest of `offers` in the trip's currency, kept with what was seen before.
pub fn cheapest<'a>(
    saga: &Saga,
    offers: impl IntoIterator<Item = &'a OfferSummary>,
) -> Option<autobook_contracts::Money> {
    let currency = saga.trip.max_price.currency;
    offers
        .into_iter()
        .map(|offer| offer.total)
        .chain(saga.cheapest_seen)
        .filter(|total| total.currency == currency && total.amount_minor > 0)
        .min_by_key(|total| total.amount_minor)
}

/// No acceptable offer this time: watch until the next search, or give up
/// when the trip is not watched or its deadline has come.
pub fn wait_or_give_up(
    saga: &Saga,
    offers_seen: u32,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Decision {
    let (Some(watch), Some(deadline)) = (&policy.watch, saga.deadline) else {
        let reason = if saga.identity_documents_needed {
            FailureReason::IdentityDocumentsRequired { offers_seen }
        } else {
            FailureReason::NoMatchingOffer { offers_seen }
        };
        return finish::fail(saga, reason);
    };
    let Ok(left) = (deadline - now).to_std() else {
        return deadline_passed(saga);
    };
    if left.is_zero() {
        return deadline_passed(saga);
    }
    let next_round = Saga {
        epoch: saga.epoch + 1,
        ..saga.clone()
    };
    let key = steps::key(&next_round, Step::Search);
    let wait = next_search_in(watch, left, saga.id, saga.epoch);
    let (timer, after) = if wait < left {
        (
            SagaTimer::Research {
                idempotency_key: key.clone(),
            },
            wait,
        )
    } else {
        (
            SagaTimer::Deadline {
                idempotency_key: key.clone(),
            },
            left,
        )
    };
    let next_search_at = now + chrono::Duration::from_std(after).unwrap_or_default();
    Decision::new(
        saga,
        Phase::Watching {
            key,
            next_search_at,
        },
        vec![Effect::Schedule { timer, after }],
    )
}

/// The wait is over: search again, in the next epoch.
pub fn search_again(saga: &Saga) -> Decision {
    let next = Saga {
        epoch: saga.epoch + 1,
        ..saga.clone()
    };
    let key = steps::key(&next, Step::Search);
    let command = steps::search(&next.trip, key.clone());
    Decision::new(
        &next,
        Phase::Searching { key },
        vec![Effect::Send(command.into())],
    )
}

/// The deadline came with nothing booked and nothing held: tell the traveller.
pub fn deadline_passed(saga: &Saga) -> Decision {
    finish::fail(
        saga,
        FailureReason::DeadlinePassed {
            searches: saga.epoch,
            cheapest_seen: saga.cheapest_seen,
            identity_documents_needed: saga.identity_documents_needed,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch() -> WatchPolicy {
        WatchPolicy {
            interval: Duration::from_secs(3600),
            min_interval: Duration::from_secs(60),
            tighten_within: Duration::from_secs(10 * 3600),
            jitter: 0.2,
            max_watch: None,
        }
    }

    const DAY: Duration = Duration::from_secs(24 * 3600);

    #[test]
    fn far_from_the_deadline_the_wait_is_the_interval_within_its_jitter() {
        for round in 0..200 {
            let wait = next_search_in(&watch(), 30 * DAY, Uuid::now_v7(), round);
            assert!(wait >= Duration::from_secs(2880) && wait <= Duration::from_secs(4320));
        }
    }

    #[test]
    fn the_wait_tightens_as_the_deadline_nears_but_not_below_the_minimum() {
        let saga = Uuid::now_v7();
        let no_jitter = WatchPolicy {
            jitter: 0.0,
            ..watch()
        };
        let far = next_search_in(&no_jitter, 30 * DAY, saga, 1);
        let half = next_search_in(&no_jitter, Duration::from_secs(5 * 3600), saga, 1);
        let near = next_search_in(&no_jitter, Duration::from_secs(10), saga, 1);
        assert_eq!(far, Duration::from_secs(3600));
        assert_eq!(half, Duration::from_secs(1800));
        assert_eq!(near, Duration::from_secs(60));
    }

    #[test]
    fn jitter_is_fixed_per_saga_and_round_and_spreads_sagas_apart() {
        let saga = Uuid::now_v7();
        assert_eq!(
            next_search_in(&watch(), 30 * DAY, saga, 3),
            next_search_in(&watch(), 30 * DAY, saga, 3)
        );
        let waits: std::collections::BTreeSet<_> = (0..50)
            .map(|_| next_search_in(&watch(), 30 * DAY, Uuid::now_v7(), 1))
            .collect();
        assert!(waits.len() > 40, "jitter should spread sagas: {waits:?}");
        let draws: Vec<f64> = (0..1000).map(|r| unit_draw(saga, r)).collect();
        assert!(draws.iter().all(|d| (-1.0..=1.0).contains(d)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.1, "draws should centre on zero: {mean}");
    }
}
