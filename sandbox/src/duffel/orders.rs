//! Orders: `POST /air/orders`, `GET /air/orders` (newest first, optional
//! `booking_reference` filter) and `GET /air/orders/{id}`.
//!
//! Duffel has no idempotency key: an order whose answer was lost (held
//! back, or a 500) exists all the same, and only a look-up (by its
//! metadata, in `GET /air/orders`) tells.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::booking::{Injection, book};
use super::errors::DuffelError;
use super::listing::{page, query_pairs};
use super::model::Order;
use super::order_request::parse_order;
use super::render::order_json;
use super::request::parse_data;
use super::{DuffelService, calls};
use crate::faults::{AnswerLoss, Transient};
use crate::injected::FaultKind;
use crate::script::OrderFault;

pub(crate) async fn create_order(
    State(service): State<Arc<DuffelService>>,
    body: Bytes,
) -> Result<Response, DuffelError> {
    let data = parse_data(&body)?;
    let request = parse_order(&data)?;
    let scripted = service.ctx.script(|queues| queues.next_order());
    let faults = service.ctx.faults();
    let now = service.ctx.clock.now();
    let booked = {
        let mut state = service.state();
        if scripted == Some(OrderFault::Transient) {
            let transient = Transient::draw(&mut state.rng);
            service
                .ctx
                .injections
                .count(FaultKind::of_transient(transient), calls::CREATE_ORDER);
            return Err(DuffelError::transient(transient));
        }
        let injection = Injection {
            scripted,
            faults: &faults,
            counts: &service.ctx.injections,
        };
        book(&mut state, &service.settings, request, injection, now)?
    };
    tracing::info!(order_id = %booked.order.id, "duffel sandbox created an order");
    match booked.loss {
        Some(AnswerLoss::ServerError) => return Err(DuffelError::airline_internal()),
        Some(AnswerLoss::Timeout) => service.ctx.pause(faults.timeout_delay).await,
        None => {}
    }
    let body = json!({ "data": order_json(&booked.order) });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn list_orders(
    State(service): State<Arc<DuffelService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, DuffelError> {
    let query = query_pairs(raw.as_deref())?;
    let reference = query.get("booking_reference");
    let state = service.state();
    let newest_first: Vec<&Order> = state
        .orders
        .iter()
        .rev()
        .filter(|order| reference.is_none_or(|r| &order.booking_reference == r))
        .collect();
    page(
        &newest_first,
        &query,
        |order| &order.id,
        |order| order_json(order),
    )
    .map(Json)
}

pub(crate) async fn get_order(
    State(service): State<Arc<DuffelService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, DuffelError> {
    let state = service.state();
    let order = state.order(&id).ok_or_else(DuffelError::not_found)?;
    Ok(Json(json!({ "data": order_json(order) })))
}
