//! `POST /emails` and `GET /emails/{id}`.
//!
//! With an `Idempotency-Key` (1 to 256 characters) the answer, success or
//! rejection, is stored for 24 hours and replayed; the same key with another
//! body is 409 `invalid_idempotent_request`. Validation errors and injected
//! transient errors are not stored.

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
use crate::faults::{Faults, Transient, roll};
use crate::idempotency::{Begin, StoredResponse};
use crate::ids;
use crate::script::EmailFault;

const MAX_IDEMPOTENCY_KEY: usize = 256;

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
    Extension(api_key): Extension<ApiKey>,
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
    let fingerprint = value.to_string();
    let faults = service.ctx.faults();
    let now = service.ctx.clock.now();
    let outcome = {
        let mut state = service.state();
        if let Some(key) = key.as_deref() {
            match state.idempotency.begin(&api_key.0, key, &fingerprint, now) {
                Begin::Fresh => {}
                Begin::Replay(stored) => return stored_response(stored),
                Begin::Mismatch => return EmailError::idempotency_mismatch().into_response(),
                Begin::InFlight => return EmailError::idempotency_in_flight().into_response(),
            }
        }
        let scripted = service.ctx.script(|queues| queues.next_email());
        let outcome = deliver(&mut state, email, scripted, &faults, now);
        if let Some(key) = key.as_deref() {
            match &outcome {
                Sent::Executed { status, body, .. } => {
                    let stored = StoredResponse {
                        status: status.as_u16(),
                        body: body.clone(),
                    };
                    state.idempotency.complete(&api_key.0, key, stored);
                }
                Sent::NotExecuted(_) => state.idempotency.abandon(&api_key.0, key),
            }
        }
        outcome
    };
    match outcome {
        Sent::NotExecuted(error) => error.into_response(),
        Sent::Executed {
            status,
            body,
            delay,
        } => {
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
    state: &mut EmailState,
    email: OutgoingEmail,
    scripted: Option<EmailFault>,
    faults: &Faults,
    now: chrono::DateTime<chrono::Utc>,
) -> Sent {
    let rejected = match scripted {
        Some(EmailFault::Transient) => {
            return Sent::NotExecuted(EmailError::transient(Transient::draw(&mut state.rng)));
        }
        Some(EmailFault::Rejected) => true,
        Some(EmailFault::Ok) => false,
        None => roll(&mut state.rng, faults.email_failure_rate),
    };
    if rejected {
        let error = EmailError::recipient_rejected();
        return Sent::Executed {
            status: error.status,
            body: error.body(),
            delay: false,
        };
    }
    let id = ids::uuid(&mut state.rng).to_string();
    state.sent.push(SentEmail {
        id: id.clone(),
        email,
        created_at: now,
    });
    tracing::info!(email_id = %id, "email sandbox accepted an email");
    let delay = scripted.is_none() && roll(&mut state.rng, faults.timeout_after_effect_rate);
    Sent::Executed {
        status: StatusCode::OK,
        body: json!({ "id": id }),
        delay,
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
