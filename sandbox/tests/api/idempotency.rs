//! Idempotency keys as Stripe and Resend document them: the answer is
//! saved once the request starts executing (a 500 included) and replayed
//! for 24 hours of the sandbox clock; a concurrent duplicate gets 409 and
//! saves nothing; a request that fails validation saves nothing.

use std::time::Duration;

use autobook_sandbox::{AuthorizationFault, EmailFault, FaultScript, Faults};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, json_of, spawn};

const HOUR: Duration = Duration::from_secs(3600);

fn hold(saga: &str) -> Vec<(&'static str, String)> {
    vec![
        ("amount", "4200".into()),
        ("currency", "usd".into()),
        ("capture_method", "manual".into()),
        ("payment_method", "pm_card_visa".into()),
        ("confirm", "true".into()),
        ("metadata[saga_id]", saga.into()),
    ]
}

async fn create(app: &TestApp, form: &[(&str, String)], key: &str) -> (StatusCode, Value, bool) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = app
        .stripe_post("/v1/payment_intents", &form, Some(key))
        .await;
    let replayed = response.headers().contains_key("idempotent-replayed");
    let (status, body) = json_of(response).await;
    (status, body, replayed)
}

#[tokio::test]
async fn a_stripe_500_after_the_effect_is_saved_and_replayed_for_24_hours() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        authorizations: vec![AuthorizationFault::ServerErrorAfterEffect],
        ..FaultScript::default()
    });
    let (status, first, replayed) = create(&app, &hold("kept"), "hold-1").await;
    assert_eq!(
        (status, replayed),
        (StatusCode::INTERNAL_SERVER_ERROR, false)
    );
    assert_eq!(first["error"]["type"], "api_error");
    let held = app.ledger().payment_intents;
    assert_eq!(held.len(), 1, "the hold was placed");
    assert_eq!(held[0].status, "requires_capture");

    app.sandbox.advance_clock(23 * HOUR);
    let (status, again, replayed) = create(&app, &hold("kept"), "hold-1").await;
    assert_eq!(
        (status, replayed),
        (StatusCode::INTERNAL_SERVER_ERROR, true)
    );
    assert_eq!(again, first, "the same answer, not a new execution");
    assert_eq!(app.ledger().payment_intents.len(), 1);

    app.sandbox.advance_clock(2 * HOUR);
    let (status, fresh, replayed) = create(&app, &hold("kept"), "hold-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{fresh}");
    assert_eq!(app.ledger().payment_intents.len(), 2, "the key had expired");
}

#[tokio::test]
async fn a_stripe_request_that_fails_validation_saves_nothing() {
    let app = spawn().await;
    let mut invalid = hold("invalid");
    invalid.retain(|(name, _)| *name != "currency");
    let (status, body, _) = create(&app, &invalid, "hold-2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "currency");
    let (status, _, replayed) = create(&app, &invalid, "hold-2").await;
    assert_eq!(
        (status, replayed),
        (StatusCode::BAD_REQUEST, false),
        "validated again"
    );
    // Other parameters under the same key are no idempotency_error: the key
    // was never used.
    let (status, intent, replayed) = create(&app, &hold("invalid"), "hold-2").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{intent}");
    let (status, _, replayed) = create(&app, &hold("invalid"), "hold-2").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    let (status, error, _) = create(&app, &hold("other"), "hold-2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error"]["type"], "idempotency_error");
}

#[tokio::test]
async fn a_concurrent_stripe_duplicate_gets_409_and_the_first_answer_is_kept() {
    let app = spawn().await;
    app.sandbox.set_faults(Faults {
        latency_ms: (800, 800),
        ..Faults::default()
    });
    let form = hold("racing");
    let (a, b) = tokio::join!(create(&app, &form, "race"), create(&app, &form, "race"));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let (winner, loser) = if a.0 == StatusCode::OK {
        (a, b)
    } else {
        (b, a)
    };
    assert_eq!(loser.1["error"]["type"], "idempotency_error");
    let (status, replay, replayed) = create(&app, &hold("racing"), "race").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(replay["id"], winner.1["id"]);
    assert_eq!(app.ledger().payment_intents.len(), 1);
}

fn email(to: &str) -> Value {
    json!({
        "from": "Autobook <bookings@autobook.test>",
        "to": [to],
        "subject": "Your trip",
        "text": "Booked",
    })
}

#[tokio::test]
async fn an_email_key_replays_its_answer_for_24_hours_then_runs_afresh() {
    let app = spawn().await;
    let (status, first) = json_of(
        app.send_email(&email("a@example.com"), Some("mail-1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.sandbox.advance_clock(23 * HOUR);
    let (_, again) = json_of(
        app.send_email(&email("a@example.com"), Some("mail-1"))
            .await,
    )
    .await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(app.ledger().emails.len(), 1);
    app.sandbox.advance_clock(2 * HOUR);
    let (status, fresh) = json_of(
        app.send_email(&email("a@example.com"), Some("mail-1"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(fresh["id"], first["id"]);
    assert_eq!(app.ledger().emails.len(), 2);
}

#[tokio::test]
async fn an_email_500_after_sending_is_saved_under_its_key() {
    let app = spawn().await;
    app.sandbox.push_script(FaultScript {
        emails: vec![EmailFault::ServerErrorAfterEffect],
        ..FaultScript::default()
    });
    let (status, first) = json_of(
        app.send_email(&email("b@example.com"), Some("mail-2"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(first["name"], "application_error");
    assert_eq!(app.ledger().emails.len(), 1, "the email went out");
    let (status, again) = json_of(
        app.send_email(&email("b@example.com"), Some("mail-2"))
            .await,
    )
    .await;
    assert_eq!(
        (status, &again),
        (StatusCode::INTERNAL_SERVER_ERROR, &first)
    );
    assert_eq!(app.ledger().emails.len(), 1, "not sent twice");
}

#[tokio::test]
async fn an_email_that_fails_validation_saves_nothing_and_a_concurrent_duplicate_gets_409() {
    let app = spawn().await;
    let invalid = json!({ "from": "Autobook <bookings@autobook.test>", "to": [], "subject": "x", "text": "y" });
    let (status, _) = json_of(app.send_email(&invalid, Some("mail-3")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = json_of(
        app.send_email(&email("c@example.com"), Some("mail-3"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the key was never used");

    app.sandbox.set_faults(Faults {
        latency_ms: (800, 800),
        ..Faults::default()
    });
    let body = email("d@example.com");
    let (a, b) = tokio::join!(
        app.send_email(&body, Some("mail-4")),
        app.send_email(&body, Some("mail-4"))
    );
    let (a, b) = (json_of(a).await, json_of(b).await);
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
    let conflict = if a.0 == StatusCode::CONFLICT {
        &a.1
    } else {
        &b.1
    };
    assert_eq!(conflict["name"], "concurrent_idempotent_requests");
    assert_eq!(app.ledger().emails.len(), 2);
}
