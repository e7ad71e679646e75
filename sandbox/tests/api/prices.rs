//! Fares that move with the sandbox clock (the same within a price step, up
//! and down across steps, switched over the admin API), scripted fare
//! multipliers, and the ledger's record of each search's cheapest price.

use std::collections::BTreeMap;
use std::time::Duration;

use autobook_sandbox::{FaultScript, PriceMotion, SandboxConfig};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, adults, future_date, json_of, spawn, spawn_with};

/// One price step a day: two searches a moment apart share a step unless
/// they straddle midnight UTC.
const DAY: Duration = Duration::from_secs(24 * 3600);

fn moving(amplitude: f64) -> PriceMotion {
    PriceMotion {
        seed: 21,
        period: DAY,
        amplitude,
    }
}

/// Offer price in minor units by its flights (numbers and departures).
async fn prices(app: &TestApp) -> BTreeMap<String, i64> {
    let data = app.search("ORD", "MIA", adults(1)).await;
    data["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|offer| {
            let flights: Vec<String> = offer["slices"][0]["segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    format!(
                        "{}{} {}",
                        s["marketing_carrier"]["iata_code"].as_str().unwrap(),
                        s["marketing_carrier_flight_number"].as_str().unwrap(),
                        s["departing_at"].as_str().unwrap()
                    )
                })
                .collect();
            let total: f64 = offer["total_amount"].as_str().unwrap().parse().unwrap();
            (flights.join(","), (total * 100.0).round() as i64)
        })
        .collect()
}

#[tokio::test]
async fn fares_hold_within_a_step_and_move_up_and_down_across_steps() {
    let app = spawn_with(SandboxConfig {
        price_motion: moving(0.25),
        ..SandboxConfig::default()
    })
    .await;
    let first = prices(&app).await;
    assert!(first.len() > 2, "{first:?}");
    assert_eq!(prices(&app).await, first, "same step, same prices");

    let mut previous = first;
    let (mut rises, mut falls) = (0, 0);
    for _ in 0..6 {
        app.sandbox.advance_clock(DAY);
        let now = prices(&app).await;
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            previous.keys().collect::<Vec<_>>()
        );
        for (flights, price) in &now {
            let before = previous[flights];
            let ratio = *price as f64 / before as f64;
            assert!((0.75 / 1.25..=1.25 / 0.75).contains(&ratio), "{ratio}");
            rises += usize::from(*price > before);
            falls += usize::from(*price < before);
        }
        previous = now;
    }
    assert!(rises > 0 && falls > 0, "{rises} rises, {falls} falls");
}

#[tokio::test]
async fn two_sandboxes_with_the_same_motion_quote_the_same_prices() {
    let config = || SandboxConfig {
        price_motion: moving(0.4),
        ..SandboxConfig::default()
    };
    let (a, b) = (spawn_with(config()).await, spawn_with(config()).await);
    assert_eq!(prices(&a).await, prices(&b).await);
    let other = spawn_with(SandboxConfig {
        price_motion: PriceMotion {
            seed: 22,
            ..moving(0.4)
        },
        ..SandboxConfig::default()
    })
    .await;
    assert_ne!(prices(&a).await, prices(&other).await);
}

#[tokio::test]
async fn the_admin_api_turns_the_motion_on() {
    let app = spawn().await;
    let admin = &app.sandbox.admin_url;
    let (status, current) = json_of(
        app.http
            .get(format!("{admin}/price_motion"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(current["amplitude"], 0.0);
    // Off: every search draws its own drift.
    assert_ne!(prices(&app).await, prices(&app).await);

    let body = json!({ "seed": 21, "period_ms": 86_400_000_u64, "amplitude": 0.25 });
    let (status, applied) = json_of(
        app.http
            .put(format!("{admin}/price_motion"))
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, applied), (StatusCode::OK, body));
    assert_eq!(app.sandbox.price_motion(), moving(0.25));
    assert_eq!(prices(&app).await, prices(&app).await);

    for bad in [json!({ "amplitude": 1.5 }), json!({ "period_ms": 0 })] {
        let (status, error) = json_of(
            app.http
                .put(format!("{admin}/price_motion"))
                .json(&bad)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert!(error["error"].is_string());
    }
    assert_eq!(app.sandbox.price_motion(), moving(0.25));
}

#[tokio::test]
async fn scripted_multipliers_price_the_next_searches_in_order() {
    let app = spawn_with(SandboxConfig {
        price_motion: moving(0.25),
        ..SandboxConfig::default()
    })
    .await;
    let normal = prices(&app).await;
    let admin = &app.sandbox.admin_url;
    let (status, remaining) = json_of(
        app.http
            .post(format!("{admin}/faults/script"))
            .json(&json!({ "prices": [1.4, 1.4, 1.4] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(remaining["prices"], json!([1.4, 1.4, 1.4]));
    app.sandbox.push_script(FaultScript {
        prices: vec![0.7],
        ..FaultScript::default()
    });

    for expected in [1.4, 1.4, 1.4, 0.7, 1.0] {
        let scripted = prices(&app).await;
        assert_eq!(scripted.len(), normal.len());
        for (flights, price) in &scripted {
            let ratio = *price as f64 / normal[flights] as f64;
            assert!((ratio - expected).abs() < 0.002, "{ratio} for {expected}");
        }
    }
    assert!(app.sandbox.remaining_script().prices.is_empty());

    let (status, error) = json_of(
        app.http
            .post(format!("{admin}/faults/script"))
            .json(&json!({ "prices": [1.1, 0] }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"].as_str().unwrap().contains("prices[1]"),
        "{error}"
    );
    assert!(app.sandbox.remaining_script().prices.is_empty());
}

#[tokio::test]
async fn the_ledger_keeps_each_searchs_route_and_cheapest_total() {
    let app = spawn().await;
    let one_way = app.search("JFK", "LHR", adults(2)).await;
    let (status, round_trip) = app
        .duffel_post(
            "/air/offer_requests?return_offers=false",
            json!({
                "slices": [
                    { "origin": "LAX", "destination": "ORD", "departure_date": future_date(30) },
                    { "origin": "ORD", "destination": "LAX", "departure_date": future_date(37) }
                ],
                "passengers": adults(1),
                "cabin_class": "business",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let nothing = app.search("PVD", "RAI", adults(1)).await;

    let ledger = app.ledger();
    assert_eq!(ledger.offer_requests, 3);
    let [first, second, third] = ledger.searches.as_slice() else {
        panic!("{:?}", ledger.searches);
    };

    let offers = one_way["offers"].as_array().unwrap();
    let cheapest = offers
        .iter()
        .map(|o| {
            (o["total_amount"].as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64
        })
        .min();
    assert_eq!(first.offer_request_id, one_way["id"].as_str().unwrap());
    assert_eq!(
        (first.origin.as_str(), first.destination.as_str()),
        ("JFK", "LHR")
    );
    assert_eq!(first.departure_date.to_string(), future_date(45));
    assert_eq!(first.return_date, None);
    assert_eq!(first.cabin_class, "economy");
    assert_eq!(first.passenger_count, 2);
    assert_eq!(first.offer_count as usize, offers.len());
    assert_eq!(first.cheapest_total_minor, cheapest);
    assert_eq!(first.cheapest_offer_id.as_deref(), offers[0]["id"].as_str());
    assert_eq!(first.currency, "USD");
    let created: DateTime<Utc> = one_way["created_at"].as_str().unwrap().parse().unwrap();
    assert!((first.at - created).abs() < chrono::Duration::milliseconds(1));

    let request_id = round_trip["data"]["id"].as_str().unwrap();
    let (_, listed) = app
        .duffel_get(&format!(
            "/air/offers?offer_request_id={request_id}&limit=1"
        ))
        .await;
    assert_eq!(second.offer_request_id, request_id);
    assert_eq!(
        (second.origin.as_str(), second.destination.as_str()),
        ("LAX", "ORD")
    );
    assert_eq!(
        second.return_date.map(|d| d.to_string()),
        Some(future_date(37))
    );
    assert_eq!(second.cabin_class, "business");
    assert_eq!(
        second.cheapest_offer_id.as_deref(),
        listed["data"][0]["id"].as_str()
    );

    assert_eq!(third.offer_request_id, nothing["id"].as_str().unwrap());
    assert_eq!((third.offer_count, third.cheapest_total_minor), (0, None));
    assert_eq!(third.cheapest_offer_id, None);

    let admin = &app.sandbox.admin_url;
    let (_, over_http) = json_of(
        app.http
            .get(format!("{admin}/ledger"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        over_http["searches"][2]["cheapest_total_minor"],
        json!(null)
    );
    assert_eq!(
        over_http["searches"][0]["cheapest_total_minor"],
        json!(cheapest)
    );
}
