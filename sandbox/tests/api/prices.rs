//! Fares that move with the sandbox clock (the same within a price step, up
//! and down across steps, switched over the admin API) and scripted fare
//! multipliers.

use std::collections::BTreeMap;
use std::time::Duration;

use autobook_sandbox::{FaultScript, PriceMotion, SandboxConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, adults, json_of, spawn, spawn_with};

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
