//! `POST /v1/webhooks/stripe`: Stripe's events about our payment intents,
//! taken by [`crate::webhooks`] when the gateway has the endpoint's signing
//! secret; without it the endpoint does not exist (404).

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::Gateway;

pub async fn receive(State(gateway): State<Gateway>, headers: HeaderMap, body: Body) -> Response {
    match &gateway.webhooks {
        Some(context) => crate::webhooks::deliver(context, headers, body).await,
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "webhooks are not configured on this gateway".to_owned(),
        )
        .into_response(),
    }
}
