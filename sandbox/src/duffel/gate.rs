//! What every Duffel request passes: header checks (authorization, version),
//! injected latency and transient errors, and on the way out the error body
//! with its request id and the `ratelimit-*` and `x-request-id` headers.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::DuffelService;
use super::errors::DuffelError;
use super::state::RATE_LIMIT;
use crate::faults::{Transient, roll};

pub(crate) async fn gate(
    State(service): State<Arc<DuffelService>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let mut rate_limited = false;
    let response = match check_headers(request.headers()) {
        Err(error) => error.render(&request_id),
        Ok(()) => {
            let faults = service.ctx.faults();
            let (latency, transient) = {
                let mut state = service.state();
                let latency = faults.draw_latency(&mut state.rng);
                let transient = roll(&mut state.rng, faults.transient_error_rate)
                    .then(|| Transient::draw(&mut state.rng));
                (latency, transient)
            };
            service.ctx.pause(latency).await;
            match transient {
                Some(transient) => {
                    rate_limited = transient == Transient::RateLimited;
                    DuffelError::transient(transient).render(&request_id)
                }
                None => next.run(request).await,
            }
        }
    };
    finish(response, &request_id, &service, rate_limited)
}

fn check_headers(headers: &HeaderMap) -> Result<(), DuffelError> {
    let authorization = headers
        .get("authorization")
        .ok_or_else(DuffelError::missing_authorization)?;
    let token = authorization
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(DuffelError::invalid_authorization());
    }
    match headers.get("duffel-version") {
        None => Err(DuffelError::missing_version()),
        Some(version) if version.as_bytes() == b"v2" => Ok(()),
        Some(_) => Err(DuffelError::unsupported_version()),
    }
}

fn finish(
    mut response: Response,
    request_id: &str,
    service: &DuffelService,
    rate_limited: bool,
) -> Response {
    if let Some(error) = response.extensions_mut().remove::<DuffelError>() {
        response = error.render(request_id);
    }
    let now = Utc::now().timestamp();
    let (remaining, window_reset) = service.state().count_request(now);
    // An injected throttle is a short one: it lifts in the next second, not
    // at the end of the per-minute window.
    let (remaining, reset) = if rate_limited {
        (0, now + 1)
    } else {
        (remaining, window_reset)
    };
    let reset = DateTime::from_timestamp(reset, 0)
        .unwrap_or_else(Utc::now)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-request-id", request_id.to_owned()),
        ("ratelimit-limit", RATE_LIMIT.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}
