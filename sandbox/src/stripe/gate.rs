//! What every Stripe request passes: the `Bearer sk_test_...` key, the
//! `Idempotency-Key` length, the key's rate limit, injected transient
//! errors, throttles and latency (slow requests included, all counted),
//! and a `Request-Id` on the way out.
//!
//! For POSTs the injected latency is not slept here: it is handed to the
//! handler, which sleeps after reserving the idempotency key, so the latency
//! plays the part of processing time and a concurrent duplicate sees the
//! first request still executing (409).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::StripeService;
use super::errors::StripeError;
use crate::faults::Transient;
use crate::injected::call_name;
use crate::rate_limit::Admission;

const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Who is calling, handed to the handlers.
#[derive(Clone)]
pub(crate) struct Caller {
    /// Scope of idempotency keys; never printed.
    pub(crate) api_key: String,
    pub(crate) idempotency_key: Option<String>,
    /// Injected latency still to be slept (POSTs).
    pub(crate) latency: Duration,
}

impl fmt::Debug for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caller")
            .field("api_key", &"<redacted>")
            .field("idempotency_key", &self.idempotency_key)
            .field("latency", &self.latency)
            .finish()
    }
}

pub(crate) async fn gate(
    State(service): State<Arc<StripeService>>,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = format!("req_{}", &uuid::Uuid::new_v4().simple().to_string()[..14]);
    let mut response = match caller_of(request.headers()) {
        Err(error) => error.into_response(),
        Ok(caller)
            if matches!(
                service.limiter.admit(&caller.api_key),
                Admission::Refused { .. }
            ) =>
        {
            StripeError::rate_limited().into_response()
        }
        Ok(mut caller) => {
            let faults = service.ctx.faults();
            let draw = faults.draw_request(&mut service.state().rng);
            service
                .ctx
                .injections
                .count_request(&draw, &call_name("stripe", &request));
            if draw.transient.is_some() || request.method() != Method::POST {
                service.ctx.pause(draw.latency).await;
            } else {
                caller.latency = draw.latency;
            }
            match draw.transient {
                Some(transient) => {
                    if transient == Transient::RateLimited {
                        service.limiter.count_too_many_requests();
                    }
                    StripeError::transient(transient).into_response()
                }
                None => {
                    request.extensions_mut().insert(caller);
                    next.run(request).await
                }
            }
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

fn caller_of(headers: &HeaderMap) -> Result<Caller, StripeError> {
    let Some(authorization) = headers.get("authorization") else {
        return Err(StripeError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ));
    };
    let api_key = authorization
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| key.starts_with("sk_test_") && key.len() > "sk_test_".len())
        .ok_or_else(|| {
            StripeError::unauthorized(
                "Invalid API Key provided. Use a test mode secret key (sk_test_...).",
            )
        })?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value.to_str().map_err(|_| {
                StripeError::bad_request("Idempotency keys must be printable ASCII.")
            })?;
            if key.chars().count() > MAX_IDEMPOTENCY_KEY {
                return Err(StripeError::bad_request(
                    "Keys for idempotent requests can only be 255 characters long.",
                ));
            }
            (!key.is_empty()).then(|| key.to_owned())
        }
    };
    Ok(Caller {
        api_key: api_key.to_owned(),
        idempotency_key,
        latency: Duration::ZERO,
    })
}
