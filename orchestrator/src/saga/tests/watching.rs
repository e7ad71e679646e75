//! Watching: no acceptable offer makes the saga wait and search again on a
//! timer until an offer qualifies or the deadline comes.

use chrono::Duration;

use autobook_contracts::events::*;
use autobook_contracts::notification::FailureReason;
use autobook_contracts::{Message, Step};

use super::fixtures::*;
use crate::saga::state::{Outcome, Phase, Saga};
use crate::saga::{Admission, Effect, Policy, WatchPolicy, decide, start};

fn found(epoch: u32, total: i64) -> OffersFound {
    OffersFound {
        idempotency_key: key(Step::Search, epoch),
        offer_request_id: format!("orq_{epoch}"),
        offers: vec![offer(&format!("off_{epoch}"), total, 330, 0)],
    }
}

fn timer_of(effects: &[Effect]) -> (SagaTimer, std::time::Duration) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Schedule { timer, after } => Some((timer.clone(), *after)),
            Effect::Send(_) => None,
        })
        .expect("a timer is scheduled")
}

#[test]
fn a_price_that_drops_after_three_re_searches_is_booked_at_the_lower_price() {
    let policy = watching_policy();
    let mut saga = searching();
    let mut at = now();
    for epoch in 1..=3 {
        // Too dear: watch, with a research timer an hour out for the next round.
        let watch = decide(&saga, &found(epoch, 70000).into(), at, &policy).unwrap();
        assert_eq!(watch.saga.phase.status(), "watching");
        assert!(watch.effects.iter().all(|e| !matches!(e, Effect::Send(_))));
        let (timer, after) = timer_of(&watch.effects);
        assert_eq!(
            timer,
            SagaTimer::Research {
                idempotency_key: key(Step::Search, epoch + 1)
            }
        );
        assert_eq!(after, std::time::Duration::from_secs(3600));
        at += Duration::hours(1);
        let again = decide(&watch.saga, &TimerFired { timer }.into(), at, &policy).unwrap();
        assert_eq!(
            again.saga.phase,
            Phase::Searching {
                key: key(Step::Search, epoch + 1)
            }
        );
        assert!(
            matches!(sent(&again), Message::SearchOffers(s) if s.idempotency_key == key(Step::Search, epoch + 1))
        );
        saga = again.saga;
    }
    // The fourth search finds it within the maximum (60000).
    let mut cheap = found(4, 45000);
    cheap.offers[0].expires_at = at + Duration::minutes(30);
    let booked = decide(&saga, &cheap.into(), at, &policy).unwrap();
    let Phase::Authorizing { offer, .. } = &booked.saga.phase else {
        panic!("expected authorizing, got {:?}", booked.saga.phase);
    };
    assert_eq!(offer.total, usd(45000));
    assert_eq!(booked.saga.epoch, 4, "one search and three re-searches");
    assert_eq!(booked.saga.cheapest_seen, Some(usd(45000)));
    assert!(matches!(sent(&booked), Message::AuthorizePayment(a) if a.amount == usd(45000)));
}

#[test]
fn a_price_that_never_drops_is_released_at_the_deadline_with_nothing_held() {
    let policy = watching_policy();
    let mut saga = searching();
    let deadline = saga.deadline.expect("a deadline is fixed at start");
    let mut at = now();
    let mut searches = 1;
    loop {
        let watch = decide(&saga, &found(saga.epoch, 80000).into(), at, &policy).unwrap();
        let (timer, after) = timer_of(&watch.effects);
        at += Duration::from_std(after).unwrap();
        if let SagaTimer::Deadline { .. } = timer {
            assert_eq!(at, deadline, "the last wait ends at the deadline");
            let end = decide(&watch.saga, &TimerFired { timer }.into(), at, &policy).unwrap();
            let Phase::Notifying {
                outcome: Outcome::Failed { reason },
                ..
            } = &end.saga.phase
            else {
                panic!(
                    "expected the traveller to be told, got {:?}",
                    end.saga.phase
                );
            };
            assert_eq!(
                reason,
                &FailureReason::DeadlinePassed {
                    searches,
                    cheapest_seen: Some(usd(80000)),
                    identity_documents_needed: false,
                }
            );
            assert!(matches!(sent(&end), Message::SendNotification(_)));
            return;
        }
        saga = decide(&watch.saga, &TimerFired { timer }.into(), at, &policy)
            .unwrap()
            .saga;
        searches += 1;
        assert!(searches < 5000, "the watch must end");
    }
}

#[test]
fn the_deadline_is_the_earliest_of_departure_book_by_and_longest_watch() {
    let mut policy = Policy::default();
    let departure = searching().deadline.unwrap();
    // Departure 2027-03-14 at JFK: clocks go forward at 02:00 that day, so
    // its midnight is still UTC-5 (05:00Z), less the 6 h margin.
    assert_eq!(departure.to_rfc3339(), "2027-03-13T23:00:00+00:00");
    let mut trip = trip();
    trip.book_by = Some(chrono::NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
    let by = start(saga_id(), trip, now(), &policy, &Admission::Open)
        .unwrap()
        .saga
        .deadline
        .unwrap();
    // The end of 5 January in New York (UTC-5).
    assert_eq!(by.to_rfc3339(), "2027-01-06T05:00:00+00:00");
    policy.watch = Some(WatchPolicy {
        max_watch: Some(std::time::Duration::from_secs(120)),
        ..WatchPolicy::default()
    });
    let short = start(
        saga_id(),
        super::fixtures::trip(),
        now(),
        &policy,
        &Admission::Open,
    )
    .unwrap()
    .saga
    .deadline
    .unwrap();
    assert_eq!(short, now() + Duration::seconds(120));
}

#[test]
fn offers_after_the_deadline_are_not_booked() {
    let saga = searching();
    let late = saga.deadline.unwrap() + Duration::seconds(1);
    let decision = decide(&saga, &found(1, 45000).into(), late, &policy()).unwrap();
    assert!(matches!(
        decision.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Failed {
                reason: FailureReason::DeadlinePassed { .. }
            },
            ..
        }
    ));
}

#[test]
fn a_cancel_while_watching_stops_and_the_pending_timer_is_then_stale() {
    let watching: Saga = watching();
    let Phase::Watching { key: next, .. } = &watching.phase else {
        panic!("not watching");
    };
    let next = next.clone();
    let cancelled = apply(&watching, cancel_request());
    assert!(matches!(
        &cancelled.saga.phase,
        Phase::Notifying {
            outcome: Outcome::Cancelled { .. },
            ..
        }
    ));
    let timer = TimerFired {
        timer: SagaTimer::Research {
            idempotency_key: next,
        },
    };
    assert!(matches!(
        try_apply(&cancelled.saga, timer),
        Err(crate::saga::DecideError::StaleTimer { .. })
    ));
}
