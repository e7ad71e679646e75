//! What every Duffel request passes: header checks (authorization, version),
//! the token's rate limit, injected latency (slow requests included) and
//! transient errors (all counted), and on the
//! way out the error body with its request id and the `ratelimit-*` and
//! `x-request-id` headers.
//!
//! With a limit set, `ratelimit-limit` is that many requests a second and
//! `ratelimit-reset` the (whole) second a refused request may come back.
//! Without one, the headers describe Duffel's usual 120 requests a minute,
//! reported but not enforced.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::DuffelService;
use super::errors::DuffelError;
use super::state::RATE_LIMIT;
use crate::faults::Transient;
use crate::injected::call_name;
use crate::rate_limit::Admission;

pub(crate) async fn gate(
    State(service): State<Arc<DuffelService>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let mut throttle = Throttle::None;
    let response = match check_headers(request.headers()) {
        Err(error) => error.render(&request_id),
        Ok(token) => match service.limiter.admit(&token) {
            Admission::Refused { retry_in } => {
                throttle = Throttle::Limit { retry_in };
                DuffelError::rate_limited().render(&request_id)
            }
            Admission::Admitted { remaining } => {
                if service.limiter.per_second().is_some() {
                    throttle = Throttle::Counted { remaining };
                }
                run(&service, request, next, &request_id, &mut throttle).await
            }
        },
    };
    finish(response, &request_id, &service, throttle)
}

/// Latency, transient faults, then the handler.
async fn run(
    service: &DuffelService,
    request: Request,
    next: Next,
    request_id: &str,
    throttle: &mut Throttle,
) -> Response {
    let faults = service.ctx.faults();
    let draw = faults.draw_request(&mut service.state().rng);
    service
        .ctx
        .injections
        .count_request(&draw, &call_name("duffel", &request));
    service.ctx.pause(draw.latency).await;
    match draw.transient {
        Some(transient) => {
            if transient == Transient::RateLimited {
                service.limiter.count_too_many_requests();
                *throttle = Throttle::Injected;
            }
            DuffelError::transient(transient).render(request_id)
        }
        None => next.run(request).await,
    }
}

/// What the `ratelimit-*` headers of an answer describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Throttle {
    /// No limit enforced: the reported per-minute window.
    None,
    /// Admitted under the enforced limit.
    Counted { remaining: u32 },
    /// Refused by the enforced limit; a slot frees after `retry_in`.
    Limit { retry_in: Duration },
    /// An injected 429: it lifts in the next second.
    Injected,
}

impl Throttle {
    /// What the headers describe for an answer with `status`: a 429 a
    /// handler answered (a scripted fault) lifts in the next second like
    /// an injected one, rather than at the end of the per-minute window.
    fn answering(self, status: StatusCode) -> Throttle {
        match self {
            Throttle::Limit { .. } | Throttle::Injected => self,
            _ if status == StatusCode::TOO_MANY_REQUESTS => Throttle::Injected,
            other => other,
        }
    }
}

/// The bearer token, once the headers are in order.
fn check_headers(headers: &HeaderMap) -> Result<String, DuffelError> {
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
        Some(version) if version.as_bytes() == b"v2" => Ok(token.to_owned()),
        Some(_) => Err(DuffelError::unsupported_version()),
    }
}

fn finish(
    mut response: Response,
    request_id: &str,
    service: &DuffelService,
    throttle: Throttle,
) -> Response {
    if let Some(error) = response.extensions_mut().remove::<DuffelError>() {
        response = error.render(request_id);
    }
    let throttle = throttle.answering(response.status());
    let now = Utc::now();
    let (window_remaining, window_reset) = service.state().count_request(now.timestamp());
    let limit = service.limiter.per_second();
    let (limit, remaining, reset) = match (throttle, limit) {
        (Throttle::Limit { retry_in }, Some(limit)) => {
            (limit, 0, whole_second_after(now, retry_in))
        }
        (Throttle::Counted { remaining }, Some(limit)) => {
            (limit, remaining, whole_second_after(now, Duration::ZERO))
        }
        (Throttle::Injected, limit) => (
            limit.unwrap_or(RATE_LIMIT),
            0,
            whole_second_after(now, Duration::ZERO),
        ),
        (_, limit) => (limit.unwrap_or(RATE_LIMIT), window_remaining, window_reset),
    };
    let reset = DateTime::from_timestamp(reset, 0)
        .unwrap_or_else(Utc::now)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-request-id", request_id.to_owned()),
        ("ratelimit-limit", limit.to_string()),
        ("ratelimit-remaining", remaining.to_string()),
        ("ratelimit-reset", reset),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The first whole second (Unix time) strictly after `now + wait`: an HTTP
/// date has no fractions, and rounding down would announce a reset too early.
fn whole_second_after(now: DateTime<Utc>, wait: Duration) -> i64 {
    let at = now + chrono::Duration::from_std(wait).unwrap_or_default();
    at.timestamp() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_from_a_handler_lifts_in_the_next_second() {
        let counted = Throttle::Counted { remaining: 3 };
        assert_eq!(
            counted.answering(StatusCode::TOO_MANY_REQUESTS),
            Throttle::Injected
        );
        assert_eq!(
            Throttle::None.answering(StatusCode::TOO_MANY_REQUESTS),
            Throttle::Injected
        );
        assert_eq!(counted.answering(StatusCode::OK), counted);
        let limit = Throttle::Limit {
            retry_in: Duration::from_millis(300),
        };
        assert_eq!(limit.answering(StatusCode::TOO_MANY_REQUESTS), limit);
    }
}
