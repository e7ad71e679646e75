//! Offers that do not answer the trip: a supplier answering for another
//! route is never booked, however the offers come.

use std::collections::BTreeSet;

use serde_json::json;

use autobook_contracts::notification::FailureReason;
use autobook_orchestrator::saga::Phase;
use autobook_sandbox::{FaultScript, Faults, SearchFault};
use autobook_tests::spawn;
use autobook_tests::trips::trip_with;

#[tokio::test]
async fn a_search_answered_for_another_route_books_nothing() {
    let system = spawn().await;
    system.script(FaultScript {
        searches: vec![SearchFault::WrongRoute],
        ..FaultScript::default()
    });
    let id = system
        .submit(trip_with(|t| {
            t["origin"] = json!("LHR");
            t["destination"] = json!("JFK");
        }))
        .await;
    let row = system.finished(id).await;
    let Phase::Failed {
        reason: FailureReason::NoMatchingOffer { offers_seen },
        ..
    } = &row.saga.phase
    else {
        panic!("{:?}", row.saga.phase)
    };
    let ledger = system.ledger();
    let [search] = ledger.searches.as_slice() else {
        panic!("{:?}", ledger.searches)
    };
    assert!(*offers_seen > 0);
    assert_eq!(search.misrouted_offer_ids.len() as u32, *offers_seen);
    assert!(
        row.saga.cheapest_seen.is_none(),
        "no price seen for this trip"
    );
    assert!(ledger.payment_intents.is_empty() && ledger.orders.is_empty());
    system.teardown().await;
}

#[tokio::test]
async fn with_offers_misrouted_at_random_only_offers_for_the_trip_are_booked() {
    let system = spawn().await;
    system.stack().sandbox.set_faults(Faults {
        wrong_route_rate: 0.5,
        ..Faults::default()
    });
    let routes = [
        ("JFK", "LAX"),
        ("ATL", "ORD"),
        ("SFO", "SEA"),
        ("BOS", "MIA"),
    ];
    let mut ids = Vec::new();
    for (origin, destination) in routes {
        ids.push(
            system
                .submit(trip_with(|t| {
                    t["origin"] = json!(origin);
                    t["destination"] = json!(destination);
                }))
                .await,
        );
    }
    let mut booked = 0;
    for (id, (origin, destination)) in ids.into_iter().zip(routes) {
        let row = system.finished(id).await;
        match &row.saga.phase {
            Phase::Booked { booking, .. } => {
                booked += 1;
                let slice = &booking.offer.slices[0];
                assert_eq!(slice.origin.as_str(), origin);
                assert_eq!(slice.destination.as_str(), destination);
            }
            Phase::Failed {
                reason: FailureReason::NoMatchingOffer { .. },
                ..
            } => {}
            other => panic!("{origin}-{destination}: {other:?}"),
        }
    }
    let ledger = system.ledger();
    let misrouted: BTreeSet<&str> = ledger
        .searches
        .iter()
        .flat_map(|s| s.misrouted_offer_ids.iter().map(String::as_str))
        .collect();
    assert!(
        !misrouted.is_empty(),
        "the fault answered some offers elsewhere"
    );
    assert!(booked > 0, "offers for the trips were booked");
    for order in &ledger.orders {
        assert!(
            !misrouted.contains(order.offer_id.as_str()),
            "a misrouted offer was booked: {}",
            order.offer_id
        );
    }
    system.teardown().await;
}
