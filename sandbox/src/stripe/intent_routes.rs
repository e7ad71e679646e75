//! Payment intent changes: confirm, capture and cancel, each run under its
//! idempotency key, each with its scripted outcomes (`authorizations`,
//! `captures`, `voids`) or the fault rates.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};

use super::errors::StripeError;
use super::execution::{Outcome, execute, settle};
use super::gate::Caller;
use super::intent_create::{confirm_options, form_of, known_payment_method};
use super::intents::Status;
use super::{StripeService, calls};
use crate::faults::roll;
use crate::injected::FaultKind;
use crate::script::{AuthorizationFault, CaptureFault, VoidFault};

const CONFIRM_PARAMS: &[&str] = &[
    "payment_method",
    "return_url",
    "off_session",
    "expand",
    "error_on_requires_action",
    "setup_future_usage",
];
const CAPTURE_PARAMS: &[&str] = &[
    "amount_to_capture",
    "expand",
    "statement_descriptor",
    "statement_descriptor_suffix",
];
const CANCEL_PARAMS: &[&str] = &["cancellation_reason", "expand"];
const CANCELLATION_REASONS: &[&str] = &[
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "abandoned",
];

pub(crate) async fn confirm(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let checked = form_of(&body, CONFIRM_PARAMS)
        .and_then(|form| Ok((known_payment_method(&form)?, confirm_options(&form)?, form)));
    let (payment_method, options, form) = match checked {
        Ok(checked) => checked,
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", &format!("/v1/payment_intents/{id}/confirm"));
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_authorization());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(AuthorizationFault::Transient) {
            return Outcome::transient(&service, &mut state, calls::CONFIRM);
        }
        let charge = state.new_id("ch");
        let result = state.change_intent(&id, now, |intent| {
            intent.confirm(payment_method, charge, options, now)?;
            Ok(intent.json())
        });
        settle(
            &service,
            &mut state,
            result,
            scripted,
            &faults,
            calls::CONFIRM,
        )
    })
    .await
}

pub(crate) async fn capture(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (form, amount) = match form_of(&body, CAPTURE_PARAMS)
        .and_then(|form| Ok((form.positive_integer("amount_to_capture")?, form)))
    {
        Ok((amount, form)) => (form, amount),
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", &format!("/v1/payment_intents/{id}/capture"));
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_capture());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(CaptureFault::Transient) {
            return Outcome::transient(&service, &mut state, calls::CAPTURE);
        }
        let result = state.intent_mut(&id, now).map(|intent| intent.status);
        let result = result.and_then(|status| {
            let capturable = status == Status::RequiresCapture;
            let lapses = capturable
                && match scripted {
                    Some(fault) => fault == CaptureFault::Lapsed,
                    None => roll(&mut state.rng, faults.capture_failure_rate),
                };
            if lapses {
                service
                    .ctx
                    .injections
                    .count(FaultKind::CaptureLapsed, calls::CAPTURE);
            }
            state.change_intent(&id, now, |intent| {
                if lapses {
                    intent.lapse(now);
                }
                intent.capture(amount).map(|()| intent.json())
            })
        });
        settle(
            &service,
            &mut state,
            result,
            scripted,
            &faults,
            calls::CAPTURE,
        )
    })
    .await
}

pub(crate) async fn cancel(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let checked = form_of(&body, CANCEL_PARAMS).and_then(|form| {
        let reason = match form.get("cancellation_reason") {
            None => None,
            Some(reason) if CANCELLATION_REASONS.contains(&reason) => Some(reason.to_owned()),
            Some(_) => return Err(StripeError::invalid("parameter_invalid_string", "cancellation_reason", "Invalid cancellation_reason: must be one of duplicate, fraudulent, requested_by_customer, or abandoned")),
        };
        Ok((form, reason))
    });
    let (form, reason) = match checked {
        Ok(checked) => checked,
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", &format!("/v1/payment_intents/{id}/cancel"));
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_void());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(VoidFault::Transient) {
            return Outcome::transient(&service, &mut state, calls::CANCEL);
        }
        let result = state.change_intent(&id, now, |intent| {
            intent.cancel(reason, now)?;
            Ok(intent.json())
        });
        settle(
            &service,
            &mut state,
            result,
            scripted,
            &faults,
            calls::CANCEL,
        )
    })
    .await
}
