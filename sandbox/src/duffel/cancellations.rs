//! Two-step order cancellation: `POST /air/order_cancellations` quotes the
//! refund (the offer's refund condition: total minus penalty, or nothing),
//! `POST /air/order_cancellations/{id}/actions/confirm` cancels the order
//! and gives its seats back. Confirming twice answers the confirmed
//! cancellation again; cancelling a cancelled order is 422 `already_cancelled`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::DuffelService;
use super::errors::DuffelError;
use super::model::Cancellation;
use super::render::cancellation_json;
use super::request::{Fields, parse_data};
use crate::faults::{Transient, roll};
use crate::ids;
use crate::script::CancellationFault;

/// How long a quoted cancellation can be confirmed (informational).
const QUOTE_VALIDITY: chrono::Duration = chrono::Duration::hours(1);

/// An injected transient error, if the script asks for one.
fn scripted_transient(service: &DuffelService) -> Option<DuffelError> {
    match service.ctx.script(|queues| queues.next_cancellation()) {
        Some(CancellationFault::Transient) => Some(DuffelError::transient(Transient::draw(
            &mut service.state().rng,
        ))),
        Some(CancellationFault::Ok) | None => None,
    }
}

pub(crate) async fn create(
    State(service): State<Arc<DuffelService>>,
    body: Bytes,
) -> Result<Response, DuffelError> {
    let data = parse_data(&body)?;
    let order_id = Fields::root(&data).string("order_id")?.to_owned();
    if let Some(error) = scripted_transient(&service) {
        return Err(error);
    }
    let now = service.ctx.clock.now();
    let cancellation = {
        let mut state = service.state();
        let order = state.order(&order_id).ok_or_else(DuffelError::not_found)?;
        if order.cancelled_at.is_some() {
            return Err(DuffelError::already_cancelled());
        }
        let (refund_amount, currency) = (order.refund_amount(), order.currency);
        let cancellation = Cancellation {
            id: ids::duffel_id(&mut state.rng, "ore"),
            order_id,
            refund_amount,
            currency,
            created_at: now,
            expires_at: now + QUOTE_VALIDITY,
            confirmed_at: None,
        };
        state.cancellations.push(cancellation.clone());
        cancellation
    };
    let body = json!({ "data": cancellation_json(&cancellation) });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn confirm(
    State(service): State<Arc<DuffelService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, DuffelError> {
    if let Some(error) = scripted_transient(&service) {
        return Err(error);
    }
    let faults = service.ctx.faults();
    let now = service.ctx.clock.now();
    let (cancellation, delay) = {
        let mut state = service.state();
        let index = state
            .cancellations
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(DuffelError::not_found)?;
        if state.cancellations[index].confirmed_at.is_some() {
            return Ok(Json(
                json!({ "data": cancellation_json(&state.cancellations[index]) }),
            ));
        }
        let order_id = state.cancellations[index].order_id.clone();
        let order = state
            .order_mut(&order_id)
            .ok_or_else(DuffelError::not_found)?;
        if order.cancelled_at.is_some() {
            return Err(DuffelError::already_cancelled());
        }
        order.cancelled_at = Some(now);
        let (keys, seats) = (order.seat_keys.clone(), order.seats_each);
        state.release_seats(&keys, seats);
        state.cancellations[index].confirmed_at = Some(now);
        let delay = roll(&mut state.rng, faults.timeout_after_effect_rate);
        (state.cancellations[index].clone(), delay)
    };
    tracing::info!(order_id = %cancellation.order_id, "duffel sandbox cancelled an order");
    if delay {
        service.ctx.pause(faults.timeout_delay).await;
    }
    Ok(Json(json!({ "data": cancellation_json(&cancellation) })))
}

pub(crate) async fn get(
    State(service): State<Arc<DuffelService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, DuffelError> {
    let state = service.state();
    let cancellation = state
        .cancellations
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(DuffelError::not_found)?;
    Ok(Json(json!({ "data": cancellation_json(cancellation) })))
}
