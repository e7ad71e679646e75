//! The Resend-style email API.

use autobook_sandbox::{ApiRateLimits, EmailFault, FaultScript, SandboxConfig};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{json_of, spawn, spawn_with};

fn confirmation(to: &str) -> Value {
    json!({
        "from": "Autobook <bookings@autobook.test>",
        "to": [to],
        "subject": "Your flight is booked: JFK to LHR (RZPNX8)",
        "html": "<p>Booked</p>",
        "text": "Booked",
        "tags": [{ "name": "kind", "value": "booking_confirmed" }, { "name": "saga_id", "value": "saga-1" }],
    })
}

#[tokio::test]
async fn an_email_is_sent_recorded_and_retrievable() {
    let app = spawn().await;
    let (status, body) = json_of(
        app.send_email(&confirmation("amelia@example.com"), Some("saga-1:notify:0"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    let fetched = app
        .http
        .get(format!("{}/emails/{id}", app.sandbox.email_url))
        .bearer_auth("re_sandbox")
        .send()
        .await
        .unwrap();
    let (status, email) = json_of(fetched).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(email["last_event"], "delivered");
    assert_eq!(email["to"][0], "amelia@example.com");
    let ledger = app.ledger();
    assert_eq!(ledger.emails.len(), 1);
    let entry = &ledger.emails[0];
    assert_eq!((entry.id.as_str(), entry.status.as_str()), (id, "sent"));
    assert_eq!(entry.to, vec!["amelia@example.com"]);
    assert_eq!(entry.tags[1].value, "saga-1");
    assert!(
        !format!("{entry:?}").contains("amelia"),
        "Debug hides recipients"
    );
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let app = spawn().await;
    let body = confirmation("a@example.com");
    let (_, first) = json_of(app.send_email(&body, Some("key-1")).await).await;
    let (status, second) = json_of(app.send_email(&body, Some("key-1")).await).await;
    assert_eq!((status, &second["id"]), (StatusCode::OK, &first["id"]));
    let (status, error) = json_of(
        app.send_email(&confirmation("b@example.com"), Some("key-1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["name"], "invalid_idempotent_request");
    let (status, error) = json_of(app.send_email(&body, Some(&"k".repeat(257))).await).await;
    assert_eq!(
        (status, error["name"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_idempotency_key"))
    );
    assert_eq!(app.ledger().emails.len(), 1);
}

#[tokio::test]
async fn scripted_rejections_are_stored_and_consumed_in_order() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        emails: vec![
            EmailFault::Rejected,
            EmailFault::Ok,
            EmailFault::Transient,
            EmailFault::Rejected,
        ],
        ..FaultScript::default()
    });
    let body = confirmation("c@example.com");
    let (status, error) = json_of(app.send_email(&body, Some("r-1")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (
            error["statusCode"].as_i64(),
            error["name"].as_str(),
            error["message"].as_str()
        ),
        (
            Some(422),
            Some("validation_error"),
            Some("recipient rejected")
        )
    );
    let (status, replay) = json_of(app.send_email(&body, Some("r-1")).await).await;
    assert_eq!(
        (status, &replay),
        (StatusCode::UNPROCESSABLE_ENTITY, &error),
        "replayed, not re-drawn"
    );
    assert_eq!(
        app.sandbox.remaining_script().emails,
        vec![EmailFault::Ok, EmailFault::Transient, EmailFault::Rejected]
    );
    let (status, _) = json_of(app.send_email(&body, None).await).await;
    assert_eq!(status, StatusCode::OK);
    let response = app.send_email(&body, Some("t-1")).await;
    assert!(matches!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ));
    let (status, _) = json_of(app.send_email(&body, None).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = json_of(app.send_email(&body, Some("t-1")).await).await;
    assert_eq!(status, StatusCode::OK, "a transient answer is not stored");
    assert_eq!(app.ledger().emails.len(), 2);
}

#[tokio::test]
async fn keys_bodies_and_rates_are_checked() {
    let app = spawn_with(SandboxConfig {
        rate_limits: ApiRateLimits {
            email: Some(2),
            ..ApiRateLimits::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let url = format!("{}/emails", app.sandbox.email_url);
    let body = confirmation("d@example.com");
    let (status, error) = json_of(app.http.post(&url).json(&body).send().await.unwrap()).await;
    assert_eq!(
        (status, error["name"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_api_key"))
    );
    let (status, error) = json_of(
        app.http
            .post(&url)
            .bearer_auth("sk_test_wrong")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error["name"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_api_key"))
    );
    let mut invalid = body.clone();
    invalid["to"] = json!([]);
    let (status, error) = json_of(app.send_email(&invalid, None).await).await;
    assert_eq!(
        (status, error["name"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_error"))
    );
    // That was the second request of this key in the window; one more fits.
    let third = app.send_email(&body, None).await;
    let fourth = app.send_email(&body, None).await;
    let limited = if third.status() == StatusCode::TOO_MANY_REQUESTS {
        third
    } else {
        fourth
    };
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    let (_, error) = json_of(limited).await;
    assert_eq!(error["name"], "rate_limit_exceeded");
}
