//! The wrong-route supplier fault: offers answered for another route than
//! the one searched, from the script or the rate.

use autobook_sandbox::{FaultScript, Faults, SearchFault};
use serde_json::Value;

use crate::helpers::{adults, spawn};

fn route(offer: &Value) -> (String, String) {
    let slice = &offer["slices"][0];
    (
        slice["origin"]["iata_code"].as_str().unwrap().to_owned(),
        slice["destination"]["iata_code"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn offers(data: &Value) -> &Vec<Value> {
    data["offers"].as_array().unwrap()
}

#[tokio::test]
async fn a_scripted_wrong_route_answers_every_offer_of_one_search_elsewhere() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        searches: vec![SearchFault::WrongRoute, SearchFault::Ok],
        ..FaultScript::default()
    });
    let wrong = app.search("LHR", "JFK", adults(1)).await;
    assert!(!offers(&wrong).is_empty());
    for offer in offers(&wrong) {
        assert_eq!(route(offer), ("LHR".into(), "LHR".into()), "LHR-LHR");
        assert_eq!(
            offer["slices"][0]["segments"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()["destination"]["iata_code"],
            "LHR"
        );
    }
    let right = app.search("LHR", "JFK", adults(1)).await;
    assert!(
        offers(&right)
            .iter()
            .all(|offer| route(offer) == ("LHR".into(), "JFK".into()))
    );
    let ledger = app.ledger();
    let ids = |data: &Value| -> Vec<String> {
        offers(data)
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ledger.searches[0].misrouted_offer_ids, ids(&wrong));
    assert!(ledger.searches[1].misrouted_offer_ids.is_empty());
    assert!(app.sandbox.remaining_script().searches.is_empty());
}

#[tokio::test]
async fn the_wrong_route_rate_misroutes_offers_one_by_one() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        wrong_route_rate: 0.5,
        ..Faults::default()
    });
    let mut wrong = 0;
    let mut right = 0;
    for _ in 0..4 {
        let data = app.search("ATL", "ORD", adults(1)).await;
        for offer in offers(&data) {
            match route(offer) {
                (from, to) if from == to => wrong += 1,
                (from, to) => {
                    assert_eq!((from.as_str(), to.as_str()), ("ATL", "ORD"));
                    right += 1;
                }
            }
        }
    }
    assert!(wrong > 0 && right > 0, "{wrong} wrong, {right} right");
    let misrouted: usize = app
        .ledger()
        .searches
        .iter()
        .map(|s| s.misrouted_offer_ids.len())
        .sum();
    assert_eq!(misrouted, wrong);
    assert!(
        Faults {
            wrong_route_rate: 1.5,
            ..Faults::default()
        }
        .validate()
        .is_err()
    );
}
