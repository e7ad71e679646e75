//! The Duffel-shaped flights API: searches with generated offers, orders
//! with seat inventory, two-step cancellations.
//!
//! - [`gate`]: headers, request ids, the rate limit and its headers,
//!   latency and transient faults for every request;
//! - [`search`]: offer requests and offers; [`orders`]: orders;
//!   [`cancellations`]: order cancellations;
//! - [`schedule`], [`geo`], [`pricing`] (a [`fare`] each),
//!   [`payment_terms`]: which flights exist, what they cost and when they
//!   must be paid; [`model`], [`state`]:
//!   what is remembered; [`render`], [`places`]: JSON;
//! - [`request`], [`search_request`], [`order_request`]: reading
//!   `{"data":{..}}` bodies; [`listing`]: pagination; [`errors`]: error bodies;
//! - [`booking`]: the rules of order creation, with [`laps`] (infants on
//!   adults' laps) and [`documents`] (identity documents);
//! - [`misroute`]: the supplier fault that answers offers for another route.

mod booking;
mod cancellations;
pub(crate) mod documents;
mod errors;
mod fare;
mod gate;
mod geo;
mod laps;
mod listing;
mod misroute;
mod model;
mod order_request;
mod orders;
mod payment_terms;
mod places;
pub(crate) mod pricing;
mod render;
mod request;
mod schedule;
mod search;
mod search_request;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};

use autobook_contracts::Currency;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::config::SandboxConfig;
use crate::context::Context;
use crate::lock::locked;
use crate::rate_limit::Limiter;
use errors::DuffelError;
use state::DuffelState;

/// Call names (for the counts of injected faults), as the gate names them.
pub(crate) mod calls {
    pub(crate) const CREATE_ORDER: &str = "duffel POST /air/orders";
    pub(crate) const CREATE_CANCELLATION: &str = "duffel POST /air/order_cancellations";
    pub(crate) const CONFIRM_CANCELLATION: &str =
        "duffel POST /air/order_cancellations/{id}/actions/confirm";
}

/// Fixed settings of the Duffel sandbox.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DuffelSettings {
    pub(crate) offer_ttl: chrono::Duration,
    pub(crate) seats_per_flight: u32,
    pub(crate) currency: Currency,
}

/// The Duffel server's shared state.
#[derive(Debug)]
pub(crate) struct DuffelService {
    pub(crate) ctx: Arc<Context>,
    pub(crate) settings: DuffelSettings,
    /// Requests per second and access token.
    pub(crate) limiter: Limiter,
    state: Mutex<DuffelState>,
}

impl DuffelService {
    pub(crate) fn new(ctx: Arc<Context>, config: &SandboxConfig) -> Self {
        let offer_ttl = chrono::Duration::from_std(config.offer_ttl)
            .unwrap_or_else(|_| chrono::Duration::minutes(30));
        DuffelService {
            state: Mutex::new(DuffelState::new(ctx.seed, ctx.instance)),
            ctx,
            limiter: Limiter::new(config.rate_limits.duffel),
            settings: DuffelSettings {
                offer_ttl,
                seats_per_flight: config.seats_per_flight,
                currency: config.currency,
            },
        }
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, DuffelState> {
        locked(&self.state)
    }
}

/// Every Duffel route behind the gate.
pub(crate) fn router(service: Arc<DuffelService>) -> Router {
    Router::new()
        .route("/air/offer_requests", post(search::create_offer_request))
        .route("/air/offer_requests/{id}", get(search::get_offer_request))
        .route("/air/offers", get(search::list_offers))
        .route("/air/offers/{id}", get(search::get_offer))
        .route(
            "/air/orders",
            post(orders::create_order).get(orders::list_orders),
        )
        .route("/air/orders/{id}", get(orders::get_order))
        .route("/air/order_cancellations", post(cancellations::create))
        .route("/air/order_cancellations/{id}", get(cancellations::get))
        .route(
            "/air/order_cancellations/{id}/actions/confirm",
            post(cancellations::confirm),
        )
        .fallback(|| async { DuffelError::not_found() })
        .method_not_allowed_fallback(|| async { DuffelError::method_not_allowed() })
        .layer(from_fn_with_state(service.clone(), gate::gate))
        .with_state(service)
}
