//! The refund endpoints: `POST /v1/refunds` under its idempotency key (its
//! outcome can be scripted: `refunds` in the fault script),
//! `GET /v1/refunds/{id}` and `GET /v1/refunds` (newest first,
//! `payment_intent`, `charge`, the `created` filters, `limit`,
//! `starting_after`, `ending_before`; always up to date).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::errors::StripeError;
use super::execution::{Outcome, execute, settle};
use super::form::Form;
use super::gate::Caller;
use super::pagination::{ListParams, list_object, query_of};
use super::refund::Refund;
use super::refunds::{draft_of, refund};
use super::{StripeService, calls};
use crate::injected::FaultKind;
use crate::script::RefundFault;

/// What `GET /v1/refunds` filters on besides the common parameters.
const FILTERS: &[&str] = &["payment_intent", "charge"];

pub(crate) async fn create(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let (form, draft) = match Form::parse(&body).and_then(|form| Ok((draft_of(&form)?, form))) {
        Ok((draft, form)) => (form, draft),
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", "/v1/refunds");
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_refund());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        match scripted {
            Some(RefundFault::Transient) => {
                return Outcome::transient(&service, &mut state, calls::REFUND);
            }
            Some(RefundFault::ServerError) => {
                service
                    .ctx
                    .injections
                    .count(FaultKind::ServerError, calls::REFUND);
                return Outcome::NotExecuted(StripeError::internal_before_effect());
            }
            Some(
                RefundFault::Ok
                | RefundFault::TimeoutAfterEffect
                | RefundFault::ServerErrorAfterEffect,
            )
            | None => {}
        }
        let result = refund(&mut state, draft, now);
        settle(
            &service,
            &mut state,
            result,
            scripted,
            &faults,
            calls::REFUND,
        )
    })
    .await
}

pub(crate) async fn retrieve(
    State(service): State<Arc<StripeService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let state = service.state();
    let refund = state
        .refunds
        .iter()
        .find(|refund| refund.id == id)
        .ok_or_else(|| StripeError::resource_missing("refund", &id, "id"))?;
    Ok(Json(refund.json()))
}

/// `GET /v1/refunds`: a Stripe list object, newest first, optionally only
/// the refunds of one payment intent or charge.
pub(crate) async fn list(
    State(service): State<Arc<StripeService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let query = query_of(raw.as_deref())?;
    let params = ListParams::parse(&query, FILTERS)?;
    let state = service.state();
    if let Some(id) = query.get("payment_intent")
        && !state.intents.iter().any(|intent| &intent.id == id)
    {
        return Err(StripeError::no_such("payment_intent", id, "payment_intent"));
    }
    let newest_first: Vec<&Refund> = state.refunds.iter().rev().collect();
    let (page, has_more) = params.page(
        &newest_first,
        |refund| refund.id.as_str(),
        |refund| refund.created,
        |refund| {
            query
                .get("payment_intent")
                .is_none_or(|pi| &refund.payment_intent == pi)
                && query
                    .get("charge")
                    .is_none_or(|charge| refund.charge.as_ref() == Some(charge))
        },
        "refund",
    )?;
    let data = page.iter().map(|refund| refund.json()).collect();
    Ok(Json(list_object(data, has_more, "/v1/refunds")))
}
