//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its
//! work: PostgreSQL answers and RabbitMQ is connected; 503 naming which is
//! not).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;

use super::error::ApiError;
use super::state::Gateway;
use super::views::{Health, Readiness};

pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
    })
}

pub async fn readyz(State(gateway): State<Gateway>) -> Result<axum::Json<Readiness>, ApiError> {
    // Bounded: while the database is down, readiness must answer, not hang.
    let database = matches!(
        tokio::time::timeout(
            Duration::from_secs(1),
            sqlx::query("SELECT 1").execute(&gateway.pool)
        )
        .await,
        Ok(Ok(_))
    );
    let broker = gateway.broker.is_connected();
    let down: Vec<&str> = [(database, "PostgreSQL"), (broker, "RabbitMQ")]
        .into_iter()
        .filter(|(up, _)| !up)
        .map(|(_, name)| name)
        .collect();
    if !down.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("not reachable: {}", down.join(", ")),
        ));
    }
    Ok(axum::Json(Readiness {
        status: "ready".into(),
        database: "ok".into(),
        broker: "ok".into(),
    }))
}
