//! Two-step order cancellation: `POST /air/order_cancellations` quotes the
//! refund (the offer's refund condition: total minus penalty, or nothing),
//! `POST /air/order_cancellations/{id}/actions/confirm` cancels the order
//! and gives its seats back. Confirming twice answers the confirmed
//! cancellation again; cancelling a cancelled order is 422 `already_cancelled`.
//!
//! Both calls take their scripted outcomes from the `cancellations` queue;
//! either may lose its answer after the effect (held back, or a 500).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::DuffelError;
use super::model::Cancellation;
use super::render::cancellation_json;
use super::request::{Fields, parse_data};
use super::state::DuffelState;
use super::{DuffelService, calls};
use crate::faults::{AnswerLoss, Transient};
use crate::injected::FaultKind;
use crate::script::{CancellationFault, answer_loss};

/// How long a quoted cancellation can be confirmed (informational).
const QUOTE_VALIDITY: chrono::Duration = chrono::Duration::hours(1);

/// The next scripted outcome; an injected transient error if it is one.
fn scripted(service: &DuffelService, call: &str) -> Result<Option<CancellationFault>, DuffelError> {
    let scripted = service.ctx.script(|queues| queues.next_cancellation());
    match scripted {
        Some(CancellationFault::Transient) => {
            let transient = Transient::draw(&mut service.state().rng);
            service
                .ctx
                .injections
                .count(FaultKind::of_transient(transient), call);
            Err(DuffelError::transient(transient))
        }
        Some(
            CancellationFault::Ok
            | CancellationFault::TimeoutAfterEffect
            | CancellationFault::ServerErrorAfterEffect,
        )
        | None => Ok(scripted),
    }
}

/// How the answer to the effect just applied is lost, counted.
fn loss(
    service: &DuffelService,
    state: &mut DuffelState,
    scripted: Option<CancellationFault>,
    call: &str,
) -> Option<AnswerLoss> {
    let loss = answer_loss(scripted, &service.ctx.faults(), &mut state.rng);
    if let Some(loss) = loss {
        service.ctx.injections.count(FaultKind::of_loss(loss), call);
    }
    loss
}

/// Answers `body`, unless its answer is lost.
async fn answer(
    service: &DuffelService,
    loss: Option<AnswerLoss>,
    status: StatusCode,
    body: Value,
) -> Result<Response, DuffelError> {
    match loss {
        Some(AnswerLoss::ServerError) => return Err(DuffelError::airline_internal()),
        Some(AnswerLoss::Timeout) => service.ctx.pause(service.ctx.faults().timeout_delay).await,
        None => {}
    }
    Ok((status, Json(body)).into_response())
}

pub(crate) async fn create(
    State(service): State<Arc<DuffelService>>,
    body: Bytes,
) -> Result<Response, DuffelError> {
    let data = parse_data(&body)?;
    let order_id = Fields::root(&data).string("order_id")?.to_owned();
    let scripted = scripted(&service, calls::CREATE_CANCELLATION)?;
    let now = service.ctx.clock.now();
    let (cancellation, loss) = {
        let mut state = service.state();
        let order = state.order(&order_id).ok_or_else(DuffelError::not_found)?;
        if order.cancelled_at.is_some() {
            return Err(DuffelError::already_cancelled());
        }
        let (refund_amount, currency) = (order.refund_amount(), order.currency);
        let cancellation = Cancellation {
            id: state.new_id("ore"),
            order_id,
            refund_amount,
            currency,
            created_at: now,
            expires_at: now + QUOTE_VALIDITY,
            confirmed_at: None,
        };
        state.cancellations.push(cancellation.clone());
        let loss = loss(&service, &mut state, scripted, calls::CREATE_CANCELLATION);
        (cancellation, loss)
    };
    let body = json!({ "data": cancellation_json(&cancellation) });
    answer(&service, loss, StatusCode::CREATED, body).await
}

pub(crate) async fn confirm(
    State(service): State<Arc<DuffelService>>,
    Path(id): Path<String>,
) -> Result<Response, DuffelError> {
    let scripted = scripted(&service, calls::CONFIRM_CANCELLATION)?;
    let now = service.ctx.clock.now();
    let (cancellation, loss) = {
        let mut state = service.state();
        let index = state
            .cancellations
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(DuffelError::not_found)?;
        if state.cancellations[index].confirmed_at.is_some() {
            let body = json!({ "data": cancellation_json(&state.cancellations[index]) });
            return Ok(Json(body).into_response());
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
        let loss = loss(&service, &mut state, scripted, calls::CONFIRM_CANCELLATION);
        (state.cancellations[index].clone(), loss)
    };
    tracing::info!(order_id = %cancellation.order_id, "duffel sandbox cancelled an order");
    let body = json!({ "data": cancellation_json(&cancellation) });
    answer(&service, loss, StatusCode::OK, body).await
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
