//! The per-key rate limits of the three APIs: 429 in each provider's own
//! format once a key goes over its requests per second, other keys
//! unaffected, and the traffic figures in the ledger.

use autobook_sandbox::{ApiRateLimits, SandboxConfig};
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, spawn, spawn_with};

async fn limited(per_second: u32) -> TestApp {
    spawn_with(SandboxConfig {
        rate_limits: ApiRateLimits {
            duffel: Some(per_second),
            stripe: Some(per_second),
            email: Some(per_second),
        },
        ..SandboxConfig::default()
    })
    .await
}

fn email() -> Value {
    json!({
        "from": "Autobook <bookings@autobook.test>",
        "to": ["someone@example.com"],
        "subject": "Booked",
        "text": "Booked",
    })
}

#[tokio::test]
async fn duffel_answers_429_with_its_ratelimit_headers_past_the_limit() {
    let app = limited(3).await;
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..5 {
        let response = app
            .duffel(Method::GET, "/air/offers/off_missing")
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS && refused.is_none() {
            refused = Some(response);
        }
    }
    // Five requests in well under a second: three fit, the rest do not.
    // (Were the window to turn over mid-loop, more would fit and the
    // figures below would show it.)
    let served = statuses
        .iter()
        .filter(|s| **s == StatusCode::NOT_FOUND)
        .count();
    let traffic = &app.ledger().traffic["duffel"];
    assert_eq!(served as u64, traffic.requests);
    assert_eq!((5 - served) as u64, traffic.too_many_requests);
    assert!(traffic.peak_per_second <= 3, "{traffic:?}");
    let response = refused.expect("a request over the limit");
    let headers = response.headers().clone();
    assert_eq!(headers["ratelimit-limit"], "3");
    assert_eq!(headers["ratelimit-remaining"], "0");
    let reset = DateTime::parse_from_rfc2822(headers["ratelimit-reset"].to_str().unwrap()).unwrap();
    let wait = reset.with_timezone(&Utc) - Utc::now();
    assert!(
        wait > chrono::Duration::zero() && wait <= chrono::Duration::seconds(2),
        "{wait}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["type"], "rate_limit_error");
    assert_eq!(body["errors"][0]["code"], "rate_limit_exceeded");
    assert_eq!(body["meta"]["status"], 429);

    let other = app
        .http
        .get(format!("{}/air/offers/off_missing", app.sandbox.duffel_url))
        .bearer_auth("duffel_test_other")
        .header("Duffel-Version", "v2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "the limit is per token"
    );
}

#[tokio::test]
async fn stripe_answers_its_rate_limit_error_past_the_limit() {
    let app = limited(2).await;
    let mut refused = None;
    for _ in 0..4 {
        let response = app
            .stripe(Method::GET, "/v1/payment_intents/pi_missing")
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
        }
    }
    let response = refused.expect("a request over the limit");
    assert_eq!(response.headers()["stripe-should-retry"], "true");
    let (_, body) = json_of(response).await;
    assert_eq!(body["error"]["code"], "rate_limit");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(app.ledger().traffic["stripe"].too_many_requests >= 1);
}

#[tokio::test]
async fn email_answers_429_with_retry_after_and_ratelimit_headers() {
    let app = limited(1).await;
    let mut refused = None;
    for _ in 0..3 {
        let response = app.send_email(&email(), None).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
        }
    }
    let response = refused.expect("a request over the limit");
    let headers = response.headers().clone();
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(headers["ratelimit-limit"], "1");
    assert_eq!(headers["ratelimit-remaining"], "0");
    let (_, body) = json_of(response).await;
    assert_eq!(body["name"], "rate_limit_exceeded");
    assert_eq!(body["statusCode"], 429);
    let ledger = app.ledger();
    assert!(ledger.traffic["email"].too_many_requests >= 1);
    assert_eq!(
        ledger.emails.len() as u64,
        ledger.traffic["email"].requests,
        "a refused email is not sent"
    );
}

#[tokio::test]
async fn by_default_nothing_is_refused_but_traffic_is_measured() {
    let app = spawn().await;
    for _ in 0..30 {
        let response = app
            .duffel(Method::GET, "/air/offers/off_missing")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()["ratelimit-limit"], "120");
    }
    let traffic = &app.ledger().traffic["duffel"];
    assert_eq!(traffic.limit_per_second, None);
    assert_eq!(traffic.requests, 30);
    assert_eq!(traffic.too_many_requests, 0);
    assert!(traffic.peak_per_second >= 1 && traffic.peak_per_second <= 30);
    let admin: Value = app
        .http
        .get(format!("{}/ledger", app.sandbox.admin_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["traffic"]["duffel"]["requests"], 30);
    assert_eq!(admin["traffic"]["stripe"]["requests"], 0);
}
