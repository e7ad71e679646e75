//! What wraps the handlers: the bearer-token check and the per-traveller
//! limit (on the routes the table marks as the traveller's), the access
//! log and metrics (route template, status and latency only: no ids, no
//! bodies), the headers every response carries, and JSON answers for
//! unknown paths and methods.

use std::time::Instant;

use axum::extract::{FromRequestParts, MatchedPath, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use autobook_contracts::codes::UserId;

use super::error::ApiError;
use super::metric_definitions::{REQUEST_SECONDS, REQUESTS};
use super::state::Gateway;

/// The authenticated traveller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            tracing::error!("a traveller's route is mounted without authentication");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error",
            )
        })
    }
}

/// Verifies the bearer token, then takes a token from the caller's bucket.
pub async fn authenticate(
    State(gateway): State<Gateway>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let user = gateway
        .verifier
        .verify(request.headers().get(header::AUTHORIZATION))?;
    if let Err(wait) = gateway.limiter.check(&user).await {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; slow down and retry after the time in Retry-After",
        )
        .retry_after(wait));
    }
    request.extensions_mut().insert(Caller { user });
    Ok(next.run(request).await)
}

/// One log line and two metrics per request, by route template.
pub async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let mut response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    tracing::info!(
        method = %method,
        route = %route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_SECONDS, &labels[..2]).record(elapsed.as_secs_f64());
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Unknown paths.
pub async fn not_found() -> Response {
    ApiError::new(StatusCode::NOT_FOUND, "unknown_route", "no such route").into_response()
}

/// Known paths asked with a method they do not answer.
pub async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not answer this method",
    )
    .into_response()
}

/// The `{id}` of a path: anything that is not a UUID is a 404, like an id
/// that belongs to someone else.
#[derive(Debug, Clone, Copy)]
pub struct IdParam(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("resource"))?;
        Uuid::try_parse(&raw)
            .map(IdParam)
            .map_err(|_| ApiError::not_found("resource"))
    }
}
