//! Running a Stripe POST under its idempotency key.
//!
//! Validation happens before (and is never stored). Here the key is looked
//! up: a stored answer is replayed with `Idempotent-Replayed: true`, other
//! parameters are a 400 `idempotency_error`, a request still executing a
//! 409. A fresh key is reserved, the operation runs, and an executed answer
//! (success or error, 402 included) is stored before it is sent; an answer
//! given without executing (injected transient error) frees the key again.
//!
//! [`settle`] decides what an executed operation answers: its result, or,
//! when the answer is lost after the effect, a 500 (stored like any answer)
//! or the result held back by `timeout_delay`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::StripeService;
use super::errors::StripeError;
use super::gate::Caller;
use super::state::StripeState;
use crate::faults::{AnswerLoss, Faults, Transient};
use crate::idempotency::{Begin, ReleaseOnDrop, StoredResponse};
use crate::injected::FaultKind;
use crate::script::{LosesAnswer, answer_loss};

/// What an operation did.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Answered before any effect: not stored under the key.
    NotExecuted(StripeError),
    /// Executed: stored, then answered (after `timeout_delay` when `delay`).
    Executed {
        status: StatusCode,
        body: Value,
        delay: bool,
    },
}

impl Outcome {
    pub(crate) fn of(result: Result<Value, StripeError>, delay: bool) -> Outcome {
        match result {
            Ok(body) => Outcome::Executed {
                status: StatusCode::OK,
                body,
                delay,
            },
            Err(error) => Outcome::Executed {
                status: error.status,
                body: error.body(),
                delay,
            },
        }
    }
}

impl Outcome {
    /// A scripted 503 or 429 before any effect, counted under `call`.
    pub(crate) fn transient(
        service: &StripeService,
        state: &mut StripeState,
        call: &str,
    ) -> Outcome {
        let transient = Transient::draw(&mut state.rng);
        service
            .ctx
            .injections
            .count(FaultKind::of_transient(transient), call);
        Outcome::NotExecuted(StripeError::transient(transient))
    }
}

/// What an executed operation answers: `result`, unless the answer to a
/// successful effect is lost (as scripted, or drawn from the rates), which
/// is counted under `call`.
pub(crate) fn settle<F: LosesAnswer>(
    service: &StripeService,
    state: &mut StripeState,
    result: Result<Value, StripeError>,
    scripted: Option<F>,
    faults: &Faults,
    call: &str,
) -> Outcome {
    let loss = match &result {
        Ok(_) => answer_loss(scripted, faults, &mut state.rng),
        Err(_) => None,
    };
    if let Some(loss) = loss {
        service.ctx.injections.count(FaultKind::of_loss(loss), call);
    }
    match loss {
        Some(AnswerLoss::ServerError) => {
            Outcome::of(Err(StripeError::internal_after_effect()), false)
        }
        Some(AnswerLoss::Timeout) => Outcome::of(result, true),
        None => Outcome::of(result, false),
    }
}

pub(crate) async fn execute(
    service: &StripeService,
    caller: &Caller,
    fingerprint: String,
    operation: impl FnOnce() -> Outcome,
) -> Response {
    let Some(key) = caller.idempotency_key.as_deref() else {
        service.ctx.pause(caller.latency).await;
        return answer(service, operation()).await;
    };
    let now = service.ctx.clock.now();
    let begin = service
        .state()
        .idempotency
        .begin(&caller.api_key, key, &fingerprint, now);
    match begin {
        Begin::Fresh => {}
        Begin::Replay(stored) => return replay(stored),
        Begin::Mismatch => return StripeError::idempotency_mismatch().into_response(),
        Begin::InFlight => return StripeError::idempotency_in_flight().into_response(),
    }
    let reservation =
        ReleaseOnDrop::new(|| service.state().idempotency.abandon(&caller.api_key, key));
    service.ctx.pause(caller.latency).await;
    let outcome = operation();
    match &outcome {
        Outcome::Executed { status, body, .. } => {
            let stored = StoredResponse {
                status: status.as_u16(),
                body: body.clone(),
            };
            service
                .state()
                .idempotency
                .complete(&caller.api_key, key, stored);
            reservation.disarm();
        }
        Outcome::NotExecuted(_) => drop(reservation),
    }
    answer(service, outcome).await
}

async fn answer(service: &StripeService, outcome: Outcome) -> Response {
    match outcome {
        Outcome::NotExecuted(error) => error.into_response(),
        Outcome::Executed {
            status,
            body,
            delay,
        } => {
            if delay {
                service.ctx.pause(service.ctx.faults().timeout_delay).await;
            }
            (status, Json(body)).into_response()
        }
    }
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Json(stored.body)).into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
