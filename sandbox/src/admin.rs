//! The admin API (JSON): health, ledger, fault rates, fault script, price
//! motion and the sandbox clock.
//!
//! `GET /health`, `GET /ledger`, `GET|PUT /faults` (durations in ms),
//! `GET|POST /faults/script` (POST appends), `GET|PUT /behaviour` (the
//! providers' harder behaviours: `{"stripe_search_lag_ms",
//! "webhook_delay_ms", "webhook_duplicate_rate"}`),
//! `GET|PUT /price_motion {"seed", "period_ms", "amplitude"}`, `GET /clock`,
//! `POST /clock/advance {"seconds": N}`,
//! `GET|PUT|DELETE /webhook_endpoint {"url", "secret"}` (where Stripe
//! events go; the secret is never shown), and
//! `POST /stripe/payment_intents/{id}/cancel {"cancellation_reason"}`: a
//! cancel outside the API's callers (`automatic`, the default, as a lapsed
//! hold; or a dashboard reason), which Stripe reports by webhook.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use autobook_contracts::stripe_webhook::WebhookSecret;

use crate::behaviour::Behaviour;
use crate::config::WebhookEndpoint;
use crate::faults::Faults;
use crate::price_motion::PriceMotion;
use crate::providers::Sandbox;
use crate::script::FaultScript;

pub(crate) fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/ledger", get(ledger))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/faults/script", get(get_script).post(post_script))
        .route("/behaviour", get(get_behaviour).put(put_behaviour))
        .route("/price_motion", get(get_price_motion).put(put_price_motion))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route(
            "/webhook_endpoint",
            get(get_webhook_endpoint)
                .put(put_webhook_endpoint)
                .delete(delete_webhook_endpoint),
        )
        .route(
            "/stripe/payment_intents/{id}/cancel",
            post(cancel_payment_intent),
        )
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "no such admin route") })
        .with_state(sandbox)
}

fn problem(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|error| format!("invalid JSON body: {error}"))
}

async fn ledger(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(sandbox.ledger()).into_response()
}

async fn get_faults(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(sandbox.ctx.faults()).into_response()
}

async fn put_faults(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let faults: Faults = match parse(&body) {
        Ok(faults) => faults,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    if let Err(error) = faults.validate() {
        return problem(StatusCode::BAD_REQUEST, &error.to_string());
    }
    sandbox.ctx.set_faults(faults.clone());
    Json(faults).into_response()
}

async fn get_behaviour(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(sandbox.ctx.behaviour()).into_response()
}

async fn put_behaviour(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let behaviour: Behaviour = match parse(&body) {
        Ok(behaviour) => behaviour,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    if let Err(error) = behaviour.validate() {
        return problem(StatusCode::BAD_REQUEST, &error.to_string());
    }
    sandbox.ctx.set_behaviour(behaviour.clone());
    Json(behaviour).into_response()
}

async fn get_script(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(sandbox.ctx.script(|queues| queues.remaining())).into_response()
}

async fn post_script(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let script: FaultScript = match parse(&body) {
        Ok(script) => script,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    if let Err(error) = script.validate() {
        return problem(StatusCode::BAD_REQUEST, &error.to_string());
    }
    let remaining = sandbox.ctx.script(|queues| {
        queues.append(script);
        queues.remaining()
    });
    Json(remaining).into_response()
}

async fn get_price_motion(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(sandbox.ctx.price_motion()).into_response()
}

async fn put_price_motion(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let motion: PriceMotion = match parse(&body) {
        Ok(motion) => motion,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    if let Err(error) = motion.validate() {
        return problem(StatusCode::BAD_REQUEST, &error.to_string());
    }
    sandbox.ctx.set_price_motion(motion);
    Json(motion).into_response()
}

async fn clock(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(json!({ "now": sandbox.ctx.clock.now() })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let advance: Advance = match parse(&body) {
        Ok(advance) => advance,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    sandbox
        .ctx
        .clock
        .advance(Duration::from_secs(advance.seconds));
    Json(json!({ "now": sandbox.ctx.clock.now() })).into_response()
}

async fn get_webhook_endpoint(State(sandbox): State<Arc<Sandbox>>) -> Response {
    Json(json!({ "url": sandbox.stripe.webhooks.endpoint_url() })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Endpoint {
    url: String,
    secret: String,
}

async fn put_webhook_endpoint(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let endpoint: Endpoint = match parse(&body) {
        Ok(endpoint) => endpoint,
        Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
    };
    if !endpoint.url.starts_with("http://") && !endpoint.url.starts_with("https://") {
        return problem(StatusCode::BAD_REQUEST, "url must be http(s)");
    }
    if endpoint.secret.is_empty() {
        return problem(StatusCode::BAD_REQUEST, "secret must not be empty");
    }
    sandbox.stripe.webhooks.set_endpoint(Some(WebhookEndpoint {
        url: endpoint.url.clone(),
        secret: WebhookSecret::new(endpoint.secret),
    }));
    Json(json!({ "url": endpoint.url })).into_response()
}

async fn delete_webhook_endpoint(State(sandbox): State<Arc<Sandbox>>) -> Response {
    sandbox.stripe.webhooks.set_endpoint(None);
    Json(json!({ "url": null })).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutsideCancel {
    cancellation_reason: Option<String>,
}

async fn cancel_payment_intent(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let cancel: OutsideCancel = if body.is_empty() {
        OutsideCancel::default()
    } else {
        match parse(&body) {
            Ok(cancel) => cancel,
            Err(message) => return problem(StatusCode::BAD_REQUEST, &message),
        }
    };
    let reason = cancel.cancellation_reason.as_deref().unwrap_or("automatic");
    match sandbox.stripe.cancel_outside(&id, reason) {
        Ok(intent) => Json(intent).into_response(),
        Err(error) => problem(error.status, &error.message),
    }
}
