//! The gateway over real HTTP, against the running system: tokens, trip
//! submission with publisher confirms and Idempotency-Key, a trip followed
//! to its booking and cancelled, rate limits, health, and the OpenAPI
//! document checked against the routes that answer.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_gateway::rate_limit::UserRateLimiter;
use autobook_gateway::route::Access;
use autobook_gateway::routes::table;
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::testing::records::{self, PlantedErasure};
use autobook_orchestrator::testing::sagas::{self, PlantedSaga};
use autobook_orchestrator::testing::submissions;
use autobook_tests::gateway::{
    HS256_SECRET, OTHER_RS256_PRIVATE, RS256_PRIVATE, claims, gateway_config, hs256, rs256, sign,
    spawn_gateway, spawn_gateway_with, token, trip_body,
};
use autobook_tests::redis_url;
use autobook_throttle::RateLimit;

/// A concrete path for a route template (`{id}`: a fresh UUID).
fn concrete(path: &str) -> String {
    path.replace("{id}", &Uuid::now_v7().to_string())
}

#[tokio::test]
async fn every_traveller_route_refuses_bad_tokens_with_a_json_401() {
    let system = spawn_gateway().await;
    let api = system.api();
    let now = chrono::Utc::now().timestamp();
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no token", None, "missing_token"),
        ("garbage", Some("not-a-jwt".into()), "malformed_token"),
        (
            "bad signature",
            Some(hs256(
                &claims("usr_a"),
                "a-different-secret-of-32-bytes-at-least",
            )),
            "bad_signature",
        ),
        (
            "RS256 signed by another key",
            Some(rs256(&claims("usr_a"), OTHER_RS256_PRIVATE)),
            "bad_signature",
        ),
        (
            "expired",
            Some(hs256(
                &json!({"sub": "usr_a", "exp": now - 3600}),
                HS256_SECRET,
            )),
            "token_expired",
        ),
        (
            "wrong algorithm",
            Some(sign(
                Algorithm::HS512,
                &claims("usr_a"),
                &EncodingKey::from_secret(HS256_SECRET.as_bytes()),
            )),
            "unsupported_algorithm",
        ),
        (
            "no subject",
            Some(hs256(&json!({"exp": now + 600}), HS256_SECRET)),
            "missing_subject",
        ),
        (
            "subject not a user id",
            Some(hs256(&claims("amelia@example.com"), HS256_SECRET)),
            "invalid_subject",
        ),
    ];
    for route in table().iter().filter(|r| r.access == Access::Traveller) {
        for (case, bearer, code) in &cases {
            let mut request = api
                .client
                .request(route.verb.method(), api.url(&concrete(route.path)));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            let answer = api.send(request.json(&trip_body())).await;
            let what = format!("{} {} with {case}", route.verb.method(), route.path);
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{what}: {}",
                answer.text
            );
            assert_eq!(answer.code(), *code, "{what}");
            assert!(!answer.body["error"]["message"].as_str().unwrap().is_empty());
            assert!(answer.headers.contains_key("www-authenticate"), "{what}");
        }
    }
    // Both algorithms work with their keys.
    let answer = api
        .get(
            &concrete("/v1/trip-requests/{id}"),
            &rs256(&claims("usr_a"), RS256_PRIVATE),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
    let answer = api
        .get(&concrete("/v1/trip-requests/{id}"), &token("usr_a"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.text);
    system.teardown().await;
}

#[tokio::test]
async fn the_openapi_document_lists_exactly_the_routes_that_answer() {
    let system = spawn_gateway().await;
    let api = system.api();
    let doc = api.get("/openapi.json", "").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    let bearer = token("usr_openapi");
    let mut operations = 0;
    for (path, item) in doc.body["paths"].as_object().unwrap() {
        let documented: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
        for method in ["get", "post", "put", "patch", "delete"] {
            let request = api
                .client
                .request(
                    method.to_uppercase().parse().unwrap(),
                    api.url(&concrete(path)),
                )
                .bearer_auth(&bearer)
                .json(&trip_body());
            let answer = api.send(request).await;
            let what = format!("{method} {path}");
            if documented.iter().any(|m| m == method) {
                operations += 1;
                assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
                assert_ne!(answer.code(), "unknown_route", "{what}");
                let responses = &item[method]["responses"];
                assert!(
                    responses.get(answer.status.as_str()).is_some(),
                    "{what} answered {} which the document does not list: {}",
                    answer.status,
                    answer.text
                );
            } else {
                assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
                assert_eq!(answer.code(), "method_not_allowed", "{what}");
            }
        }
    }
    assert_eq!(
        operations,
        table().len(),
        "the document and the table differ"
    );
    let unknown = api.get("/v1/nothing-here", &bearer).await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::NOT_FOUND, "unknown_route")
    );
    system.teardown().await;
}

#[tokio::test]
async fn health_and_readiness() {
    let system = spawn_gateway().await;
    let api = system.api();
    let health = api.get("/healthz", "").await;
    assert_eq!(
        (health.status, &health.body),
        (StatusCode::OK, &json!({"status": "ok"}))
    );
    let ready = api.get("/readyz", "").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    assert_eq!(ready.body["database"], "ok");
    assert_eq!(ready.body["broker"], "ok");
    assert_eq!(ready.headers["x-content-type-options"], "nosniff");
    system.teardown().await;
}

#[tokio::test]
async fn a_trip_submitted_over_http_is_booked_shown_and_cancelled() {
    let system = spawn_gateway().await;
    let api = system.api();
    let bearer = token("usr_traveller");
    let mut requests = system.observe(&["trip.requested"]).await;
    let answer = api.submit(&bearer, &trip_body()).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    assert_eq!(answer.body["status"], "submitted");
    let trip_id: Uuid = answer.body["trip_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(trip_id.get_version_num(), 7);
    assert_eq!(
        answer.headers["location"],
        format!("/v1/trip-requests/{trip_id}")
    );
    // Published with the caller as the user.
    let published = requests.next(Duration::from_secs(10)).await.unwrap();
    assert_eq!(published.saga_id, trip_id);
    let autobook_contracts::Message::TripRequested(trip) = published.message else {
        panic!("not a trip request");
    };
    assert_eq!(trip.user_id.as_str(), "usr_traveller");

    let row = system.finished(trip_id).await;
    let Phase::Booked { booking, .. } = &row.saga.phase else {
        panic!("not booked: {:?}", row.status);
    };
    let booking_id = booking_row(&system, trip_id).await;
    let shown = api
        .get(&format!("/v1/trip-requests/{trip_id}"), &bearer)
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(shown.body["status"], "booked");
    assert_eq!(shown.body["finished"], true);
    assert_eq!(shown.body["booking_id"], json!(booking_id));
    assert_eq!(shown.body["trip"]["origin"], "JFK");
    assert_eq!(shown.body["trip"]["passengers"], 1);
    let history: Vec<&str> = shown.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to_status"].as_str().unwrap())
        .collect();
    assert_eq!(history.first(), Some(&"submitted"));
    assert_eq!(history.last(), Some(&"booked"));
    assert!(
        !shown.text.contains("Earhart") && !shown.text.contains("amelia@"),
        "{}",
        shown.text
    );

    let shown = api
        .get(&format!("/v1/bookings/{booking_id}"), &bearer)
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(shown.body["trip_id"], json!(trip_id));
    assert_eq!(
        shown.body["booking_reference"],
        booking.order.booking_reference.as_str()
    );
    assert_eq!(
        shown.body["amount"]["amount_minor"],
        booking.captured.amount_minor
    );
    assert_eq!(shown.body["status"], "confirmed");

    let cancelled = api
        .post(
            &format!("/v1/trip-requests/{trip_id}/cancel"),
            &bearer,
            &json!({}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::ACCEPTED, "{}", cancelled.text);
    assert_eq!(cancelled.body["status"], "cancel_requested");
    system.reaches(trip_id, "cancelled").await;
    let shown = api
        .get(&format!("/v1/trip-requests/{trip_id}"), &bearer)
        .await;
    assert_eq!(shown.body["status"], "cancelled");
    assert_eq!(
        shown.body["cancellation"]["booking_reference"],
        booking.order.booking_reference.as_str()
    );
    assert_eq!(
        shown.body["cancellation"]["charged"]["amount_minor"],
        booking.captured.amount_minor
    );
    system.teardown().await;
}

/// The booking's read model row, written by the orchestrator in the
/// transaction that booked: its id.
async fn booking_row(system: &autobook_tests::TestSystem, trip_id: Uuid) -> Uuid {
    records::booking_of_saga(&system.stack().pool, trip_id)
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn a_retry_under_the_same_idempotency_key_returns_the_same_trip_and_publishes_once() {
    let system = spawn_gateway().await;
    let api = system.api();
    let bearer = token("usr_retry");
    let mut requests = system.observe(&["trip.requested"]).await;
    let submit = |key: &'static str, body: Value| {
        let request = api
            .client
            .post(api.url("/v1/trip-requests"))
            .bearer_auth(&bearer)
            .header("Idempotency-Key", key)
            .json(&body);
        api.send(request)
    };
    let first = submit("order-7", trip_body()).await;
    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.text);
    // Retries, some at once: the same trip, nothing more published.
    let retries =
        futures_util::future::join_all((0..5).map(|_| submit("order-7", trip_body()))).await;
    for retry in retries {
        assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
        assert_eq!(retry.body["trip_id"], first.body["trip_id"]);
        assert_eq!(retry.headers["idempotent-replayed"], "true");
    }
    // The same key with another request is refused, naming the conflict.
    let mut other = trip_body();
    other["max_price"]["amount_minor"] = json!(400000);
    let conflict = submit("order-7", other.clone()).await;
    assert_eq!(
        conflict.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        conflict.text
    );
    assert_eq!(
        (conflict.code(), conflict.field()),
        ("idempotency_key_reused", "Idempotency-Key")
    );
    // Another user's identical key is theirs alone.
    let elsewhere = api
        .send(
            api.client
                .post(api.url("/v1/trip-requests"))
                .bearer_auth(token("usr_someone_else"))
                .header("Idempotency-Key", "order-7")
                .json(&other),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::ACCEPTED, "{}", elsewhere.text);
    assert_ne!(elsewhere.body["trip_id"], first.body["trip_id"]);
    let published: Vec<String> = [
        requests.next(Duration::from_secs(10)).await.unwrap(),
        requests.next(Duration::from_secs(10)).await.unwrap(),
    ]
    .iter()
    .map(|e| e.saga_id.to_string())
    .collect();
    assert_eq!(
        published,
        vec![
            first.body["trip_id"].as_str().unwrap(),
            elsewhere.body["trip_id"].as_str().unwrap()
        ]
    );
    let rows = submissions::count(&system.stack().pool).await.unwrap();
    assert_eq!(rows, 2);
    system.teardown().await;
}

#[tokio::test]
async fn a_publish_the_broker_refuses_stores_nothing_and_answers_503() {
    let system = spawn_gateway().await;
    let api = system.api();
    let channel = system.stack().broker.channel().await.unwrap();
    channel
        .exchange_delete(
            system.topology.events_exchange().as_str().into(),
            lapin::options::ExchangeDeleteOptions::default(),
        )
        .await
        .unwrap();
    let answer = api.submit(&token("usr_a"), &trip_body()).await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text
    );
    assert_eq!(answer.code(), "unavailable");
    assert!(answer.text.contains("broker"), "{}", answer.text);
    assert!(answer.headers.contains_key("retry-after"));
    let rows = submissions::count(&system.stack().pool).await.unwrap();
    assert_eq!(rows, 0, "the submission was rolled back");
    // Once the broker takes messages again, so does the gateway.
    autobook_broker::declare::declare_topology(&system.stack().broker)
        .await
        .unwrap();
    let answer = api.submit(&token("usr_a"), &trip_body()).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    system.teardown().await;
}

#[tokio::test]
async fn a_traveller_over_the_limit_gets_429_with_retry_after() {
    let system = spawn_gateway_with(|config| {
        let mut gateway = gateway_config();
        gateway.rate_limit = RateLimit::new(0.2, 3);
        config.gateway = Some(gateway);
    })
    .await;
    let api = system.api();
    let (busy, calm) = (token("usr_busy"), token("usr_calm"));
    let path = concrete("/v1/trip-requests/{id}");
    for _ in 0..3 {
        assert_eq!(api.get(&path, &busy).await.status, StatusCode::NOT_FOUND);
    }
    let limited = api.get(&path, &busy).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        limited.text
    );
    assert_eq!(limited.code(), "rate_limited");
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=5).contains(&retry_after), "{retry_after}");
    // Others are not held back by one traveller.
    assert_eq!(api.get(&path, &calm).await.status, StatusCode::NOT_FOUND);
    // Public routes are not limited.
    assert_eq!(api.get("/healthz", "").await.status, StatusCode::OK);
    system.teardown().await;
}

#[tokio::test]
async fn gateway_instances_share_each_travellers_bucket_through_redis() {
    let namespace = format!("t-{}", Uuid::new_v4().simple());
    let limit = RateLimit::new(0.2, 2);
    let one = UserRateLimiter::new(limit, Some(&redis_url()), &namespace).unwrap();
    let two = UserRateLimiter::new(limit, Some(&redis_url()), &namespace).unwrap();
    let user = UserId::parse("usr_shared").unwrap();
    assert_eq!(one.check(&user).await, Ok(()));
    assert_eq!(two.check(&user).await, Ok(()));
    assert!(one.check(&user).await.is_err());
    assert!(two.check(&user).await.is_err());
}

#[tokio::test]
async fn no_trip_request_is_taken_while_the_travellers_erasure_is_pending() {
    let system = spawn_gateway().await;
    let api = system.api();
    let pool = &system.stack().pool;
    // A stuck saga (waiting for an operator) keeps the erasure pending.
    let stuck = PlantedSaga {
        id: Uuid::now_v7(),
        user_id: "usr_leaving",
        status: "stuck",
        terminal: true,
        state: json!({}),
        version: 1,
    };
    sagas::plant(pool, &stuck).await.unwrap();
    let pending = PlantedErasure {
        id: Uuid::now_v7(),
        subject: "subject",
        user_id: Some("usr_leaving"),
        status: "pending",
        completed_now: false,
        sagas_erased: 0,
    };
    records::plant_erasure(pool, &pending).await.unwrap();
    let answer = api.submit(&token("usr_leaving"), &trip_body()).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.text);
    assert_eq!(answer.code(), "erasure_pending");
    let rows = submissions::count(pool).await.unwrap();
    assert_eq!(rows, 0);
    // Someone else's erasure holds nobody else back.
    let answer = api.submit(&token("usr_staying"), &trip_body()).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text);
    system.teardown().await;
}
