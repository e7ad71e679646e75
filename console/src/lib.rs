//! # autobook-console
//!
//! The operations console (`autobook console`, `autobook demo --console`):
//! a server-rendered web window on the system for the people who run it.
//!
//! - Pages ([`pages`]): the overview (funnel, throughput, latency, dead
//!   letters, outbox lag, mismatches, kill switch), saga search and each
//!   saga's timeline, money and provider calls, stuck and paused work, the
//!   dead-letter archive, the flags, the reconciliation findings, and the
//!   record of actions taken here.
//! - Actions: the same ones as `autobook ops`, through the same library
//!   functions and checks (`autobook_ops`): retry, abort or cancel a saga;
//!   dry-run, replay or purge a dead letter; throw or release the kill
//!   switch; set the booking pipeline. Each is recorded once under its
//!   form's action id ([`actions`]), CSRF-checked, and only for operators.
//! - People ([`users`], [`session`], [`proxy`], [`auth`]): viewers read,
//!   operators act, supervisors may also reveal a traveller's personal data
//!   (each reveal recorded). Local logins for the demo, or a single sign-on
//!   proxy in front.
//!
//! Templates are compiled in (askama, `templates/`), the pages need no
//! JavaScript, and every list is paginated over an index.

pub mod actions;
pub mod auth;
pub mod error;
pub mod extract;
pub mod page;
pub mod pages;
pub mod proxy;
pub mod session;
pub mod settings;
pub mod state;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use settings::{Access, ConsoleSettings};
pub use state::{Console, Shared};

/// The console's routes over `console`.
pub fn router(console: Console) -> Router {
    let shared: Shared = Arc::new(console);
    Router::new()
        .route("/", get(pages::overview::page))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/login",
            get(pages::login::form).post(pages::login::sign_in),
        )
        .route("/logout", post(pages::login::sign_out))
        .route("/sagas", get(pages::sagas::list))
        .route("/sagas/{id}", get(pages::saga::page))
        .route("/sagas/{id}/request", post(pages::saga::request))
        .route("/sagas/{id}/reveal", post(pages::saga::reveal))
        .route("/stuck", get(pages::stuck::page))
        .route("/dead-letters", get(pages::dead_letters::list))
        .route("/dead-letters/{id}", get(pages::dead_letters::show))
        .route(
            "/dead-letters/{id}/replay",
            post(pages::dead_letters::replay),
        )
        .route("/dead-letters/{id}/purge", post(pages::dead_letters::purge))
        .route(
            "/dead-letters/{id}/reveal",
            post(pages::dead_letters::reveal),
        )
        .route("/flags", get(pages::flags::page))
        .route("/flags/kill-switch", post(pages::flags::kill_switch))
        .route("/flags/pipeline", post(pages::flags::pipeline))
        .route("/reconciliation", get(pages::reconciliation::page))
        .route("/actions", get(pages::actions::page))
        .layer(axum::middleware::from_fn(pages::headers::secure_headers))
        .with_state(shared)
}

/// Binds `addr`; the address actually bound (port 0 picks one).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the console's address {addr}"))?;
    let bound = listener.local_addr()?;
    Ok((listener, bound))
}

/// Serves the console on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    console: Console,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, router(console))
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving the console")
}
