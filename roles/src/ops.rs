//! The ops endpoints of a role: `/health` (alive), `/ready` (can do work:
//! the database and broker it uses reachable; a process with neither, the
//! sandbox, names none) and `/metrics` (Prometheus text).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::json;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use autobook_broker::Broker;

#[derive(Clone)]
struct Ops {
    pool: Option<PgPool>,
    /// The role's broker connections (one per identity it runs as).
    brokers: Vec<Broker>,
    metrics: Option<PrometheusHandle>,
}

/// Serves the ops endpoints in the background until `shutdown`; a port
/// that cannot be bound is logged as an error.
pub fn spawn(
    addr: SocketAddr,
    pool: Option<PgPool>,
    brokers: Vec<Broker>,
    metrics: Option<PrometheusHandle>,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        if let Err(error) = serve(addr, pool, brokers, metrics, shutdown).await {
            tracing::error!(%addr, %error, "ops endpoints not served");
        }
    });
}

/// Serves the ops endpoints until `shutdown`.
pub async fn serve(
    addr: SocketAddr,
    pool: Option<PgPool>,
    brokers: Vec<Broker>,
    metrics: Option<PrometheusHandle>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .route("/ready", get(ready))
        .route("/metrics", get(render_metrics))
        .with_state(Ops {
            pool,
            brokers,
            metrics,
        });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "ops endpoints listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

async fn ready(State(ops): State<Ops>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let mut checks = serde_json::Map::new();
    if let Some(pool) = &ops.pool {
        // Bounded: while the database is down, readiness must answer, not hang.
        let reached = matches!(
            tokio::time::timeout(
                std::time::Duration::from_secs(1),
                sqlx::query("SELECT 1").execute(pool)
            )
            .await,
            Ok(Ok(_))
        );
        checks.insert("database".into(), reached.into());
    }
    if !ops.brokers.is_empty() {
        checks.insert(
            "broker".into(),
            ops.brokers.iter().all(Broker::is_connected).into(),
        );
    }
    let ready = checks.values().all(|reached| reached == &json!(true));
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(serde_json::Value::Object(checks)))
}

async fn render_metrics(State(ops): State<Ops>) -> String {
    ops.metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}
