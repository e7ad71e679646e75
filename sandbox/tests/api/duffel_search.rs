//! Duffel searches: shape, city codes, test routes, pagination, headers,
//! validation and determinism.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use autobook_contracts::{Currency, Money};
use autobook_sandbox::SandboxConfig;
use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{adults, future_date, spawn, spawn_with};

fn local_time(text: &Value) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text.as_str().unwrap(), "%Y-%m-%dT%H:%M:%S").unwrap()
}

/// Instant payment with no deadlines, or a payment deadline 20 minutes
/// after the search, before the offer expires.
fn assert_payment_requirements(offer: &Value) {
    let terms = &offer["payment_requirements"];
    let at = |value: &Value| value.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    if terms["requires_instant_payment"] == true {
        assert!(terms["payment_required_by"].is_null(), "{terms}");
        assert!(terms["price_guarantee_expires_at"].is_null(), "{terms}");
    } else {
        assert_eq!(terms["requires_instant_payment"], false);
        let by = at(&terms["payment_required_by"]);
        assert_eq!(by, at(&terms["price_guarantee_expires_at"]));
        assert_eq!(by - at(&offer["created_at"]), chrono::Duration::minutes(20));
        assert!(by < at(&offer["expires_at"]));
    }
}

#[tokio::test]
async fn some_airlines_give_time_to_pay_and_most_want_paying_at_once() {
    let app = spawn().await;
    let mut instant = BTreeSet::new();
    let mut later = BTreeSet::new();
    for (origin, destination) in [
        ("JFK", "LHR"),
        ("LAX", "NRT"),
        ("CDG", "DXB"),
        ("SFO", "FRA"),
    ] {
        let data = app.search(origin, destination, adults(1)).await;
        for offer in data["offers"].as_array().unwrap() {
            assert_payment_requirements(offer);
            let owner = offer["owner"]["iata_code"].as_str().unwrap().to_owned();
            if offer["payment_requirements"]["requires_instant_payment"] == true {
                instant.insert(owner);
            } else {
                later.insert(owner);
            }
        }
    }
    assert!(instant.is_disjoint(&later), "fixed per airline");
    assert!(
        !later.is_empty() && instant.len() > later.len(),
        "{instant:?} {later:?}"
    );
}

#[tokio::test]
async fn search_answers_offers_shaped_like_duffel() {
    let app = spawn().await;
    let passengers = json!([{ "type": "adult" }, { "age": 8 }]);
    let data = app.search("JFK", "LAX", passengers).await;
    assert!(data["id"].as_str().unwrap().starts_with("orq_"));
    assert_eq!(data["live_mode"], false);
    let passenger_ids: Vec<&str> = data["passengers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(passenger_ids.len(), 2);
    assert!(passenger_ids.iter().all(|id| id.starts_with("pas_")));
    assert_eq!(data["passengers"][1]["type"], "child");
    assert_eq!(data["passengers"][1]["age"], 8);
    let offers = data["offers"].as_array().unwrap();
    assert!(!offers.is_empty());
    let mut previous = 0;
    for offer in offers {
        assert!(offer["id"].as_str().unwrap().starts_with("off_"));
        let currency = Currency::parse(offer["total_currency"].as_str().unwrap()).unwrap();
        assert_eq!(currency, Currency::USD);
        let amount = |field: &str| {
            Money::from_decimal(offer[field].as_str().unwrap(), currency)
                .unwrap()
                .amount_minor
        };
        assert_eq!(
            amount("base_amount") + amount("tax_amount"),
            amount("total_amount")
        );
        assert!(amount("total_amount") >= previous, "cheapest first");
        previous = amount("total_amount");
        let expires: DateTime<Utc> = offer["expires_at"].as_str().unwrap().parse().unwrap();
        let ttl = expires - Utc::now();
        assert!(
            ttl > chrono::Duration::minutes(29) && ttl <= chrono::Duration::minutes(30),
            "{ttl}"
        );
        assert_payment_requirements(offer);
        assert!(offer["owner"]["iata_code"].as_str().unwrap().len() == 2);
        let offer_passengers: Vec<&str> = offer["passengers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(offer_passengers, passenger_ids);
        for key in ["refund_before_departure", "change_before_departure"] {
            let condition = &offer["conditions"][key];
            assert!(
                condition.is_null() || condition["allowed"].is_boolean(),
                "{condition}"
            );
        }
        for slice in offer["slices"].as_array().unwrap() {
            assert!(slice["duration"].as_str().unwrap().starts_with("PT"));
            let segments = slice["segments"].as_array().unwrap();
            assert!(!segments.is_empty() && segments.len() <= 2);
            assert_eq!(
                slice["origin"]["iata_code"],
                segments[0]["origin"]["iata_code"]
            );
            for segment in segments {
                let departing = local_time(&segment["departing_at"]);
                let arriving = local_time(&segment["arriving_at"]);
                // New York to Los Angeles gains three hours.
                assert!(arriving > departing - chrono::Duration::hours(4));
                assert!(
                    segment["origin"]["time_zone"]
                        .as_str()
                        .unwrap()
                        .contains('/')
                );
                assert!(
                    segment["marketing_carrier_flight_number"]
                        .as_str()
                        .unwrap()
                        .parse::<u32>()
                        .is_ok()
                );
                let segment_passengers: Vec<&str> = segment["passengers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["passenger_id"].as_str().unwrap())
                    .collect();
                assert_eq!(segment_passengers, passenger_ids);
                assert_eq!(segment["passengers"][0]["cabin_class"], "economy");
            }
        }
    }
    assert_eq!(app.ledger().offer_requests, 1);
}

#[tokio::test]
async fn every_answer_carries_rate_limit_and_request_id_headers() {
    let app = spawn().await;
    let response = app
        .duffel(Method::GET, "/air/offers/off_missing")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let headers = response.headers().clone();
    for name in [
        "ratelimit-limit",
        "ratelimit-remaining",
        "ratelimit-reset",
        "x-request-id",
    ] {
        assert!(headers.contains_key(name), "missing {name}");
    }
    let reset = headers["ratelimit-reset"].to_str().unwrap();
    assert!(DateTime::parse_from_rfc2822(reset).is_ok(), "{reset}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "not_found");
    assert_eq!(
        body["meta"]["request_id"],
        headers["x-request-id"].to_str().unwrap()
    );
}

#[tokio::test]
async fn headers_and_bodies_are_checked() {
    let app = spawn().await;
    let url = format!("{}/air/offers/off_x", app.sandbox.duffel_url);
    let no_auth = app
        .http
        .get(&url)
        .header("Duffel-Version", "v2")
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
    let body: Value = no_auth.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "missing_authorization_header");
    let no_version = app.http.get(&url).bearer_auth("t").send().await.unwrap();
    assert_eq!(no_version.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_version.json::<Value>().await.unwrap()["errors"][0]["code"],
        "missing_version_header"
    );
    let old = app
        .http
        .get(&url)
        .bearer_auth("t")
        .header("Duffel-Version", "v1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.json::<Value>().await.unwrap()["errors"][0]["code"],
        "unsupported_version"
    );
    let (status, body) = app.duffel_get("/air/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["errors"][0]["type"], "invalid_request_error");
    let (status, body) = app
        .duffel_post("/air/offer_requests", json!({ "slices": [{ "origin": "JFK", "destination": "QQQ", "departure_date": future_date(10) }], "passengers": adults(1) }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["type"], "validation_error");
    assert_eq!(
        body["errors"][0]["source"]["field"],
        "slices[0].destination"
    );
    let (status, body) = app
        .duffel_post(
            "/air/offer_requests",
            json!({ "slices": [] , "passengers": adults(1) }),
        )
        .await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    assert_eq!(app.ledger().offer_requests, 0);
}

#[tokio::test]
async fn city_codes_expand_to_their_airports() {
    let app = spawn().await;
    let data = app.search("NYC", "LON", adults(1)).await;
    assert_eq!(data["slices"][0]["origin_type"], "city");
    assert_eq!(
        data["slices"][0]["origin"]["airports"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let mut origins = BTreeSet::new();
    let mut destinations = BTreeSet::new();
    for offer in data["offers"].as_array().unwrap() {
        let slice = &offer["slices"][0];
        origins.insert(slice["origin"]["iata_code"].as_str().unwrap().to_owned());
        destinations.insert(
            slice["destination"]["iata_code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let new_york: BTreeSet<String> = ["EWR", "JFK", "LGA"].map(String::from).into();
    let london: BTreeSet<String> = ["LGW", "LHR", "STN"].map(String::from).into();
    assert!(origins.is_subset(&new_york), "{origins:?}");
    assert!(destinations.is_subset(&london), "{destinations:?}");
    assert!(origins.len() >= 2, "several New York airports: {origins:?}");
}

#[tokio::test]
async fn documented_test_routes_behave_like_duffel() {
    let app = spawn().await;
    let none = app.search("PVD", "RAI", adults(1)).await;
    assert_eq!(none["offers"].as_array().unwrap().len(), 0);
    let connecting = app.search("LHR", "DXB", adults(1)).await;
    let offers = connecting["offers"].as_array().unwrap();
    assert!(!offers.is_empty());
    assert!(
        offers
            .iter()
            .all(|o| o["slices"][0]["segments"].as_array().unwrap().len() == 2)
    );
    let started = Instant::now();
    let (status, body) = app
        .duffel_post(
            "/air/offer_requests?return_offers=true&supplier_timeout=2000",
            json!({ "slices": [{ "origin": "STN", "destination": "LHR", "departure_date": future_date(20) }], "passengers": adults(1) }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(started.elapsed() >= Duration::from_millis(2000));
    assert_eq!(body["data"]["offers"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn offers_can_be_fetched_later_page_by_page() {
    let app = spawn().await;
    let (status, body) = app
        .duffel_post(
            "/air/offer_requests?return_offers=false",
            json!({
                "slices": [
                    { "origin": "LAX", "destination": "ORD", "departure_date": future_date(30) },
                    { "origin": "ORD", "destination": "LAX", "departure_date": future_date(37) }
                ],
                "passengers": adults(1),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["data"].get("offers").is_none());
    let request_id = body["data"]["id"].as_str().unwrap();
    let mut seen = Vec::new();
    let mut path = format!("/air/offers?offer_request_id={request_id}&limit=3");
    loop {
        let (status, page) = app.duffel_get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["meta"]["limit"], 3);
        for offer in page["data"].as_array().unwrap() {
            assert_eq!(offer["slices"].as_array().unwrap().len(), 2, "round trip");
            let owner = &offer["owner"]["iata_code"];
            assert_eq!(
                &offer["slices"][1]["segments"][0]["marketing_carrier"]["iata_code"],
                owner
            );
            seen.push(offer["id"].as_str().unwrap().to_owned());
        }
        match page["meta"]["after"].as_str() {
            Some(after) => {
                path = format!("/air/offers?offer_request_id={request_id}&limit=3&after={after}")
            }
            None => break,
        }
    }
    assert!(seen.len() > 3, "{}", seen.len());
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len());
    let (status, offer) = app.duffel_get(&format!("/air/offers/{}", seen[0])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(offer["data"]["id"], seen[0].as_str());
}

#[tokio::test]
async fn non_stop_only_searches_may_find_nothing() {
    let app = spawn().await;
    let (status, body) = app
        .duffel_post(
            "/air/offer_requests",
            json!({ "slices": [{ "origin": "LHR", "destination": "DXB", "departure_date": future_date(15) }], "passengers": adults(1), "max_connections": 0 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(body["data"]["offers"].as_array().unwrap().is_empty());
}

/// Flights, ids and prices that must repeat with the same seed.
fn fingerprint(data: &Value) -> Vec<(String, String, Vec<String>)> {
    data["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|offer| {
            let flights = offer["slices"][0]["segments"]
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
            (
                offer["id"].as_str().unwrap().to_owned(),
                offer["total_amount"].as_str().unwrap().to_owned(),
                flights,
            )
        })
        .collect()
}

#[tokio::test]
async fn same_seed_same_offers_and_prices_move_between_searches() {
    let config = || SandboxConfig {
        seed: 99,
        ..SandboxConfig::default()
    };
    let first = spawn_with(config()).await;
    let second = spawn_with(config()).await;
    let a = first.search("BOS", "MUC", adults(2)).await;
    let b = second.search("BOS", "MUC", adults(2)).await;
    // The same offers at the same prices; the ids are each start's own.
    let without_ids = |f: Vec<(String, String, Vec<String>)>| -> Vec<(String, Vec<String>)> {
        f.into_iter()
            .map(|(_, price, flights)| (price, flights))
            .collect()
    };
    assert_eq!(without_ids(fingerprint(&a)), without_ids(fingerprint(&b)));
    assert_ne!(a["id"], b["id"]);
    let other = spawn_with(SandboxConfig {
        seed: 100,
        ..SandboxConfig::default()
    })
    .await;
    assert_ne!(
        fingerprint(&a),
        fingerprint(&other.search("BOS", "MUC", adults(2)).await)
    );
    // The same sandbox searching again sees the same flights at moved prices.
    let again = first.search("BOS", "MUC", adults(2)).await;
    let flights = |f: &[(String, String, Vec<String>)]| -> BTreeSet<Vec<String>> {
        f.iter().map(|(_, _, s)| s.clone()).collect()
    };
    assert_eq!(flights(&fingerprint(&a)), flights(&fingerprint(&again)));
    let prices = |f: &[(String, String, Vec<String>)]| -> BTreeSet<String> {
        f.iter().map(|(_, p, _)| p.clone()).collect()
    };
    assert_ne!(prices(&fingerprint(&a)), prices(&fingerprint(&again)));
}
