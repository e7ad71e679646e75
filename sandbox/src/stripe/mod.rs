//! The Stripe-shaped payments API: payment intents with manual capture,
//! refunds, idempotency keys, and webhooks.
//!
//! - [`gate`]: authorization, request ids, the rate limit, latency and
//!   transient faults;
//! - [`execution`]: running a POST under its idempotency key;
//! - [`intent_create`], [`intent_routes`], [`listing`], [`refunds`],
//!   [`refund_routes`], [`search`]: the endpoints; [`pagination`]: the
//!   list filters and cursors they share;
//! - [`intents`]: the PaymentIntent state machine; [`refund`]: a refund
//!   as remembered; [`form`]: bracket-key
//!   form bodies; [`errors`]: error bodies; [`state`]: what is remembered;
//!   [`search_index`]: what search has seen, which lags writes;
//! - [`events`]: the event each change makes; [`webhooks`]: their log and
//!   queue; [`delivery`]: their signed delivery to the endpoint, late, at
//!   least once, sometimes twice.

pub(crate) mod delivery;
mod errors;
mod events;
mod execution;
mod form;
mod gate;
mod intent_create;
mod intent_routes;
mod intents;
mod listing;
mod pagination;
mod refund;
mod refund_routes;
mod refunds;
mod search;
mod search_index;
mod state;
pub(crate) mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::OriginalUri;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::context::Context;
use crate::lock::locked;
use crate::rate_limit::Limiter;
use errors::StripeError;
use serde_json::Value;
use state::StripeState;
use webhooks::Webhooks;

/// Call names (for the counts of injected faults), as the gate names them.
pub(crate) mod calls {
    pub(crate) const CREATE: &str = "stripe POST /v1/payment_intents";
    pub(crate) const CONFIRM: &str = "stripe POST /v1/payment_intents/{id}/confirm";
    pub(crate) const CAPTURE: &str = "stripe POST /v1/payment_intents/{id}/capture";
    pub(crate) const CANCEL: &str = "stripe POST /v1/payment_intents/{id}/cancel";
    pub(crate) const REFUND: &str = "stripe POST /v1/refunds";
    pub(crate) const SEARCH: &str = "stripe GET /v1/payment_intents/search";
}

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
            state: Mutex::new(StripeState::new(ctx.seed, ctx.instance, webhooks.clone())),
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
            post(intent_create::create).get(listing::list),
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
        .route(
            "/v1/refunds",
            post(refund_routes::create).get(refund_routes::list),
        )
        .route("/v1/refunds/{id}", get(refund_routes::retrieve))
        .fallback(unknown_route)
        .method_not_allowed_fallback(unknown_route)
        .layer(from_fn_with_state(service.clone(), gate::gate))
        .with_state(service)
}

async fn unknown_route(method: Method, OriginalUri(uri): OriginalUri) -> StripeError {
    StripeError::not_found_route(method.as_str(), uri.path())
}
