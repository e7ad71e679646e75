//! The Stripe-shaped payments API: payment intents with manual capture,
//! refunds, idempotency keys.
//!
//! - [`gate`]: authorization, request ids, the rate limit, latency and
//!   transient faults;
//! - [`execution`]: running a POST under its idempotency key;
//! - [`intent_routes`], [`listing`], [`refunds`], [`search`]: the endpoints;
//! - [`intents`]: the PaymentIntent state machine; [`form`]: bracket-key
//!   form bodies; [`errors`]: error bodies; [`state`]: what is remembered.

mod errors;
mod execution;
mod form;
mod gate;
mod intent_routes;
mod intents;
mod listing;
mod refunds;
mod search;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::context::{Context, locked};
use crate::rate_limit::Limiter;
use errors::StripeError;
use state::StripeState;

/// The Stripe server's shared state.
#[derive(Debug)]
pub(crate) struct StripeService {
    pub(crate) ctx: Arc<Context>,
    /// Requests per second and API key.
    pub(crate) limiter: Limiter,
    state: Mutex<StripeState>,
}

impl StripeService {
    pub(crate) fn new(ctx: Arc<Context>, rate_limit_per_sec: Option<u32>) -> Self {
        StripeService {
            state: Mutex::new(StripeState::new(ctx.seed)),
            ctx,
            limiter: Limiter::new(rate_limit_per_sec),
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, StripeState> {
        locked(&self.state)
    }
}

/// Every Stripe route behind the gate.
pub(crate) fn router(service: Arc<StripeService>) -> Router {
    Router::new()
        .route(
            "/v1/payment_intents",
            post(intent_routes::create).get(listing::list),
        )
        .route("/v1/payment_intents/search", get(search::search))
        .route("/v1/payment_intents/{id}", get(listing::retrieve))
        .route(
            "/v1/payment_intents/{id}/confirm",
            post(intent_routes::confirm),
        )
        .route(
            "/v1/payment_intents/{id}/capture",
            post(intent_routes::capture),
        )
        .route(
            "/v1/payment_intents/{id}/cancel",
            post(intent_routes::cancel),
        )
        .route("/v1/refunds", post(refunds::create).get(refunds::list))
        .route("/v1/refunds/{id}", get(refunds::retrieve))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(from_fn_with_state(service.clone(), gate::gate))
        .with_state(service)
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> StripeError {
    StripeError::not_found_route(method.as_str(), uri.path())
}
