//! The Stripe-shaped payments API: payment intents with manual capture,
//! refunds, idempotency keys, and webhooks.
//!
//! - [`gate`]: authorization, request ids, the rate limit, latency and
//!   transient faults;
//! - [`execution`]: running a POST under its idempotency key;
//! - [`intent_routes`], [`listing`], [`refunds`], [`search`]: the endpoints;
//! - [`intents`]: the PaymentIntent state machine; [`form`]: bracket-key
//!   form bodies; [`errors`]: error bodies; [`state`]: what is remembered;
//! - [`events`]: the event each change makes; [`webhooks`]: their signed
//!   delivery to the endpoint, at least once.

mod errors;
mod events;
mod execution;
mod form;
mod gate;
mod intent_routes;
mod intents;
mod listing;
mod refunds;
mod search;
mod state;
pub(crate) mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::context::{Context, locked};
use crate::rate_limit::Limiter;
use errors::StripeError;
use serde_json::Value;
use state::StripeState;
use webhooks::Webhooks;

/// The Stripe server's shared state.
#[derive(Debug)]
pub(crate) struct StripeService {
    pub(crate) ctx: Arc<Context>,
    /// Requests per second and API key.
    pub(crate) limiter: Limiter,
    /// Where events go, and the log of every one.
    pub(crate) webhooks: Arc<Webhooks>,
    state: Mutex<StripeState>,
}

/// Reasons an intent can be canceled with outside the API's own cancel:
/// `automatic` (the hold lapsed) and those the dashboard offers.
pub(crate) const OUTSIDE_CANCELLATION_REASONS: &[&str] = &[
    "automatic",
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "abandoned",
];

impl StripeService {
    pub(crate) fn new(
        ctx: Arc<Context>,
        rate_limit_per_sec: Option<u32>,
        webhooks: Arc<Webhooks>,
    ) -> Self {
        StripeService {
            state: Mutex::new(StripeState::new(ctx.seed, webhooks.clone())),
            ctx,
            limiter: Limiter::new(rate_limit_per_sec),
            webhooks,
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, StripeState> {
        locked(&self.state)
    }

    /// Cancels an intent as if it happened outside the API's callers: its
    /// hold lapsed (`automatic`), or someone cancelled it in the dashboard.
    /// Emits `payment_intent.canceled` like any cancel; returns the intent.
    pub(crate) fn cancel_outside(&self, id: &str, reason: &str) -> Result<Value, StripeError> {
        if !OUTSIDE_CANCELLATION_REASONS.contains(&reason) {
            return Err(StripeError::invalid(
                "parameter_invalid_string",
                "cancellation_reason",
                "Invalid cancellation_reason: must be one of automatic, duplicate, fraudulent, requested_by_customer, or abandoned",
            ));
        }
        let now = self.ctx.clock.now();
        self.state().change_intent(id, now, |intent| {
            intent.cancel(Some(reason.to_owned()), now)?;
            Ok(intent.json())
        })
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
