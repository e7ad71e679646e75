//! `POST /emails` and `GET /emails/{id}`.
//!
//! With an `Idempotency-Key` (1 to 256 characters) the key is reserved once
//! the request starts executing; its answer (success, rejection, or a 500
//! after the email was sent) is stored for 24 hours and replayed; the same
//! key with another body is 409 `invalid_idempotent_request`, and while
//! the first request still runs 409 `concurrent_idempotent_requests`.
//! Validation errors and injected transient errors store nothing.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::EmailError;
use super::message::{OutgoingEmail, parse_email};
use super::state::{EmailState, SentEmail};
use super::{ApiKey, EmailService};
use crate::faults::{AnswerLoss, Faults, Transient, roll};
use crate::idempotency::{Begin, ReleaseOnDrop, StoredResponse};
use crate::injected::FaultKind;
use crate::script::{EmailFault, answer_loss};

const MAX_IDEMPOTENCY_KEY: usize = 256;

/// The call name of `POST /emails`, as the gate names it.
const SEND: &str = "email POST /emails";

/// What sending did.
enum Sent {
    /// Answered before any effect: not stored.
    NotExecuted(EmailError),
    /// Stored under the key (if any) and answered.
    Executed {
        status: StatusCode,
        body: Value,
        delay: bool,
    },
}

pub(crate) async fn send(
    State(service): State<Arc<EmailService>>,
    Extension(caller): Extension<ApiKey>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match idempotency_key(&headers) {
        Ok(key) => key,
        Err(error) => return error.into_response(),
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => {
            return EmailError::validation("The request body must be valid JSON.").into_response();
        }
    };
    let email = match parse_email(&value) {
        Ok(email) => email,
        Err(error) => return error.into_response(),
    };
    let scope = caller.key.as_str();
    let reservation = match key.as_deref() {
        None => None,
        Some(key) => {
            let now = service.ctx.clock.now();
            let begin = service
                .state()
                .idempotency
                .begin(scope, key, &value.to_string(), now);
            match begin {
                Begin::Fresh => Some(ReleaseOnDrop::new(|| {
                    service.state().idempotency.abandon(scope, key);
                })),
                Begin::Replay(stored) => return stored_response(stored),
                Begin::Mismatch => return EmailError::idempotency_mismatch().into_response(),
                Begin::InFlight => return EmailError::idempotency_in_flight().into_response(),
            }
        }
    };
    service.ctx.pause(caller.latency).await;
    let scripted = service.ctx.script(|queues| queues.next_email());
    let faults = service.ctx.faults();
    let outcome = {
        let now = service.ctx.clock.now();
        let mut state = service.state();
        let outcome = deliver(&service, &mut state, email, scripted, &faults, now);
        if let (Some(key), Sent::Executed { status, body, .. }) = (key.as_deref(), &outcome) {
            let stored = StoredResponse {
                status: status.as_u16(),
                body: body.clone(),
            };
            state.idempotency.complete(scope, key, stored);
        }
        outcome
    };
    match outcome {
        Sent::NotExecuted(error) => {
            drop(reservation);
            error.into_response()
        }
        Sent::Executed {
            status,
            body,
            delay,
        } => {
            if let Some(reservation) = reservation {
                reservation.disarm();
            }
            if delay {
                service.ctx.pause(faults.timeout_delay).await;
            }
            (status, Json(body)).into_response()
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, EmailError> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => {
            let key = value
                .to_str()
                .map_err(|_| EmailError::invalid_idempotency_key())?;
            if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY {
                return Err(EmailError::invalid_idempotency_key());
            }
            Ok(Some(key.to_owned()))
        }
    }
}

fn deliver(
    service: &EmailService,
    state: &mut EmailState,
    email: OutgoingEmail,
    scripted: Option<EmailFault>,
    faults: &Faults,
    now: chrono::DateTime<chrono::Utc>,
) -> Sent {
    let counts = &service.ctx.injections;
    let rejected = match scripted {
        Some(EmailFault::Transient) => {
            let transient = Transient::draw(&mut state.rng);
            counts.count(FaultKind::of_transient(transient), SEND);
            return Sent::NotExecuted(EmailError::transient(transient));
        }
        Some(EmailFault::Rejected) => true,
        Some(
            EmailFault::Ok | EmailFault::TimeoutAfterEffect | EmailFault::ServerErrorAfterEffect,
        ) => false,
        None => roll(&mut state.rng, faults.email_failure_rate),
    };
    if rejected {
        counts.count(FaultKind::EmailRejected, SEND);
        let error = EmailError::recipient_rejected();
        return Sent::Executed {
            status: error.status,
            body: error.body(),
            delay: false,
        };
    }
    let id = state.new_id();
    state.sent.push(SentEmail {
        id: id.clone(),
        email,
        created_at: now,
    });
    tracing::info!(email_id = %id, "email sandbox accepted an email");
    let loss = answer_loss(scripted, faults, &mut state.rng);
    if let Some(loss) = loss {
        counts.count(FaultKind::of_loss(loss), SEND);
    }
    match loss {
        Some(AnswerLoss::ServerError) => {
            let error = EmailError::application_error();
            Sent::Executed {
                status: error.status,
                body: error.body(),
                delay: false,
            }
        }
        Some(AnswerLoss::Timeout) | None => Sent::Executed {
            status: StatusCode::OK,
            body: json!({ "id": id }),
            delay: loss.is_some(),
        },
    }
}

fn stored_response(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    (status, Json(stored.body)).into_response()
}

pub(crate) async fn retrieve(
    State(service): State<Arc<EmailService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, EmailError> {
    let state = service.state();
    let sent = state
        .sent
        .iter()
        .find(|sent| sent.id == id)
        .ok_or_else(|| EmailError::not_found("Email"))?;
    Ok(Json(sent.json()))
}
