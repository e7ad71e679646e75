//! # autobook-gateway
//!
//! The HTTP API through which travellers submit trip requests and see and
//! control their own trips (served by `autobook gateway`), with their data
//! export and erasure ([`privacy`]) and the receiver of the events Stripe
//! posts ([`webhooks`]), which passes those about a saga's payment on to it.
//!
//! - [`routes`]: the route table (each [`route`] with its handler and
//!   documentation), which builds both the router and the OpenAPI document
//!   ([`openapi`]; the trip body's schema in [`trip_schema`]);
//! - [`auth`]: bearer JWTs (HS256, RS256), the caller is the subject;
//!   [`rate_limit`]: a token bucket per traveller, shared through Redis;
//!   [`middleware`]: both of them in front of the traveller's routes, and
//!   the access log;
//! - [`db`]: the one way travellers' data is read: a transaction as the
//!   role `autobook_gateway` with the caller's id, under row-level security;
//! - the handlers: [`submit`] (with [`trip_body`], [`rejections`] and
//!   [`idempotency`]), [`trips`], [`bookings`], [`me`], [`health`],
//!   [`stripe`] (the webhook endpoint);
//! - [`error`]: the one JSON shape of every refusal; [`views`]: what the
//!   handlers answer; [`config`] and [`state`]: settings and shared state.
//!
//! Logs name the route template, status and latency of each request, never
//! its ids, token or body.

pub mod auth;
pub mod bookings;
pub mod config;
pub mod db;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod me;
pub mod metric_definitions;
pub mod middleware;
pub mod openapi;
pub mod privacy;
pub mod rate_limit;
pub mod rejections;
pub mod route;
pub mod routes;
pub mod state;
pub mod stripe;
pub mod submit;
#[cfg(feature = "testing")]
pub mod testing;
pub mod trip_body;
pub mod trip_schema;
pub mod trips;
pub mod views;
pub mod webhooks;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use config::{AuthConfig, GatewayConfig, JwtSecret};
pub use state::{Gateway, GatewayError};

/// The whole HTTP application: the table's routes (and any router merged
/// into them here), JSON answers for unknown paths and methods, the access
/// log.
pub fn app(gateway: Gateway) -> Router {
    routes::api_router(gateway)
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn(middleware::access_log))
}

/// Binds the listening socket (port 0: any free port).
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, GatewayError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| GatewayError::Bind { addr, source })
}

/// Serves until `shutdown`, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    gateway: Gateway,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "gateway listening");
    }
    axum::serve(listener, app(gateway))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
