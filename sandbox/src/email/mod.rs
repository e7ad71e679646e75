//! The Resend-style email API: `POST /emails` with idempotency keys, rate
//! limits and rejection faults; `GET /emails/{id}`.
//!
//! - [`message`]: checking the body; [`routes`]: the endpoints;
//!   [`errors`]: error bodies; [`state`]: what is remembered.

mod errors;
mod message;
mod routes;
mod state;

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::context::Context;
use crate::faults::Transient;
use crate::injected::call_name;
use crate::lock::locked;
use crate::rate_limit::{Admission, Limiter};
use errors::EmailError;
use state::EmailState;

/// The email server's shared state.
#[derive(Debug)]
pub(crate) struct EmailService {
    pub(crate) ctx: Arc<Context>,
    /// Requests per second and API key (real Resend: 2).
    pub(crate) limiter: Limiter,
    state: Mutex<EmailState>,
}

impl EmailService {
    pub(crate) fn new(ctx: Arc<Context>, rate_limit_per_sec: Option<u32>) -> Self {
        EmailService {
            state: Mutex::new(EmailState::new(ctx.seed, ctx.instance)),
            ctx,
            limiter: Limiter::new(rate_limit_per_sec),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, EmailState> {
        locked(&self.state)
    }
}

/// The caller, handed to the handlers: the API key (never printed) and,
/// for a POST, the injected latency still to be slept (the handler sleeps
/// it after reserving the idempotency key, so that it plays the part of
/// processing time and a concurrent duplicate sees the first in flight).
#[derive(Clone)]
pub(crate) struct ApiKey {
    pub(crate) key: String,
    pub(crate) latency: Duration,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKey")
            .field("key", &"<redacted>")
            .field("latency", &self.latency)
            .finish()
    }
}

pub(crate) fn router(service: Arc<EmailService>) -> Router {
    Router::new()
        .route("/emails", post(routes::send))
        .route("/emails/{id}", get(routes::retrieve))
        .fallback(|| async { EmailError::not_found("Route") })
        .method_not_allowed_fallback(|| async { EmailError::method_not_allowed() })
        .layer(from_fn_with_state(service.clone(), gate))
        .with_state(service)
}

/// Authorization (`Bearer re_...`), the per-key rate limit, injected latency
/// (slow requests included) and transient errors, all counted.
async fn gate(
    State(service): State<Arc<EmailService>>,
    mut request: Request,
    next: Next,
) -> Response {
    let api_key = match api_key_of(request.headers()) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    if let Admission::Refused { retry_in } = service.limiter.admit(&api_key) {
        let limit = service.limiter.per_second().unwrap_or_default();
        return rate_limited(limit, retry_in);
    }
    let faults = service.ctx.faults();
    let draw = faults.draw_request(&mut service.state().rng);
    service
        .ctx
        .injections
        .count_request(&draw, &call_name("email", &request));
    let mut latency = draw.latency;
    if draw.transient.is_some() || request.method() != Method::POST {
        service.ctx.pause(latency).await;
        latency = Duration::ZERO;
    }
    if let Some(transient) = draw.transient {
        if transient == Transient::RateLimited {
            service.limiter.count_too_many_requests();
        }
        return EmailError::transient(transient).into_response();
    }
    request.extensions_mut().insert(ApiKey {
        key: api_key,
        latency,
    });
    next.run(request).await
}

/// Resend's 429: `retry-after` and `ratelimit-reset` in whole seconds
/// (at least one), `ratelimit-limit` and `ratelimit-remaining`.
fn rate_limited(limit: u32, retry_in: Duration) -> Response {
    let mut response = EmailError::rate_limited(limit).into_response();
    let seconds = retry_in.as_secs() + u64::from(retry_in.subsec_nanos() > 0);
    let seconds = seconds.max(1).to_string();
    let headers = response.headers_mut();
    for (name, value) in [
        ("retry-after", seconds.clone()),
        ("ratelimit-reset", seconds),
        ("ratelimit-limit", limit.to_string()),
        ("ratelimit-remaining", "0".to_owned()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

fn api_key_of(headers: &HeaderMap) -> Result<String, EmailError> {
    let value = headers
        .get("authorization")
        .ok_or_else(EmailError::missing_api_key)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(EmailError::missing_api_key());
    }
    if !token.starts_with("re_") || token.len() <= 3 {
        return Err(EmailError::invalid_api_key());
    }
    Ok(token.to_owned())
}
