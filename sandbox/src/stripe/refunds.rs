//! Refunds: `POST /v1/refunds` for succeeded intents (amount defaults to
//! what is left; never more than received minus refunded),
//! `GET /v1/refunds/{id}` and `GET /v1/refunds` (newest first, `limit`,
//! `starting_after`, `payment_intent`, `charge`, `created[gte|gt|lte|lt]`), each refund with its
//! metadata. A refund's outcome can be scripted (`refunds` in the fault
//! script).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::StripeService;
use super::errors::StripeError;
use super::events;
use super::execution::{Outcome, execute};
use super::form::Form;
use super::gate::Caller;
use super::intents::Status;
use super::listing::{list_limit, query_of};
use super::state::StripeState;
use crate::faults::{Transient, roll};
use crate::ids;
use crate::script::RefundFault;

const PARAMS: &[&str] = &["payment_intent", "amount", "reason", "metadata", "expand"];
const REASONS: &[&str] = &["duplicate", "fraudulent", "requested_by_customer"];
/// What `GET /v1/refunds` accepts.
const LIST_PARAMS: &[&str] = &[
    "payment_intent",
    "charge",
    "limit",
    "starting_after",
    "created[gte]",
    "created[gt]",
    "created[lte]",
    "created[lt]",
];

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refund {
    pub(crate) id: String,
    pub(crate) payment_intent: String,
    pub(crate) charge: Option<String>,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) reason: Option<String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) created: i64,
}

impl Refund {
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "object": "refund",
            "amount": self.amount,
            "currency": self.currency,
            "payment_intent": self.payment_intent,
            "charge": self.charge,
            "status": "succeeded",
            "reason": self.reason,
            "metadata": self.metadata,
            "created": self.created,
        })
    }
}

struct Draft {
    payment_intent: String,
    amount: Option<i64>,
    reason: Option<String>,
    metadata: BTreeMap<String, String>,
}

fn draft_of(form: &Form) -> Result<Draft, StripeError> {
    form.allow_only(PARAMS)?;
    let payment_intent = form
        .get("payment_intent")
        .ok_or_else(|| StripeError::missing("payment_intent"))?;
    let reason = match form.get("reason") {
        None => None,
        Some(reason) if REASONS.contains(&reason) => Some(reason.to_owned()),
        Some(_) => {
            return Err(StripeError::invalid(
                "parameter_invalid_string",
                "reason",
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
            ));
        }
    };
    Ok(Draft {
        payment_intent: payment_intent.to_owned(),
        amount: form.positive_integer("amount")?,
        reason,
        metadata: form.metadata.clone(),
    })
}

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
                return Outcome::NotExecuted(StripeError::transient(Transient::draw(
                    &mut state.rng,
                )));
            }
            Some(RefundFault::ServerError) => {
                return Outcome::NotExecuted(StripeError::internal_before_effect());
            }
            _ => {}
        }
        let result = refund(&mut state, draft, now);
        if scripted == Some(RefundFault::ServerErrorAfterEffect) && result.is_ok() {
            return Outcome::of(Err(StripeError::internal_after_effect()), false);
        }
        let delay = result.is_ok()
            && match scripted {
                Some(fault) => fault == RefundFault::TimeoutAfterEffect,
                None => roll(&mut state.rng, faults.timeout_after_effect_rate),
            };
        Outcome::of(result, delay)
    })
    .await
}

fn refund(state: &mut StripeState, draft: Draft, now: DateTime<Utc>) -> Result<Value, StripeError> {
    let id = ids::stripe_id(&mut state.rng, "re");
    let intent = state
        .intents
        .iter_mut()
        .find(|intent| intent.id == draft.payment_intent)
        .ok_or_else(|| {
            StripeError::no_such("payment_intent", &draft.payment_intent, "payment_intent")
        })?;
    if intent.status != Status::Succeeded {
        return Err(StripeError::unexpected_state(format!(
            "This PaymentIntent does not have a successful charge to refund (status {}).",
            intent.status.as_str()
        )));
    }
    let remaining = intent.amount_received - intent.amount_refunded;
    if remaining <= 0 {
        return Err(StripeError::invalid(
            "charge_already_refunded",
            "payment_intent",
            "This charge has already been refunded.",
        ));
    }
    let amount = draft.amount.unwrap_or(remaining);
    if amount > remaining {
        return Err(StripeError::invalid(
            "amount_too_large",
            "amount",
            format!(
                "Refund amount ({amount}) is greater than the amount left to refund ({remaining})."
            ),
        ));
    }
    intent.amount_refunded += amount;
    let refund = Refund {
        id,
        payment_intent: intent.id.clone(),
        charge: intent.latest_charge.clone(),
        amount,
        currency: intent.currency.clone(),
        reason: draft.reason,
        metadata: draft.metadata,
        created: now.timestamp(),
    };
    let body = refund.json();
    state.events.emit(events::REFUND_CREATED, body.clone(), now);
    state.refunds.push(refund);
    Ok(body)
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

/// Whether `created` passes the `created[gte|gt|lte|lt]` bounds of `query`
/// (a bound that is not a number passes nothing).
fn created_within(query: &BTreeMap<String, String>, created: i64) -> bool {
    let bound = |name: &str, holds: fn(i64, i64) -> bool| {
        query
            .get(name)
            .is_none_or(|text| text.parse::<i64>().is_ok_and(|b| holds(created, b)))
    };
    bound("created[gte]", |c, b| c >= b)
        && bound("created[gt]", |c, b| c > b)
        && bound("created[lte]", |c, b| c <= b)
        && bound("created[lt]", |c, b| c < b)
}

/// `GET /v1/refunds`: a Stripe list object, newest first, optionally only
/// the refunds of one payment intent or charge, or created within bounds.
pub(crate) async fn list(
    State(service): State<Arc<StripeService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let query = query_of(raw.as_deref())?;
    if let Some(unknown) = query.keys().find(|k| !LIST_PARAMS.contains(&k.as_str())) {
        return Err(StripeError::invalid(
            "parameter_unknown",
            unknown,
            format!("Received unknown parameter: {unknown}"),
        ));
    }
    let limit = list_limit(&query)?;
    let state = service.state();
    if let Some(id) = query.get("payment_intent")
        && !state.intents.iter().any(|intent| &intent.id == id)
    {
        return Err(StripeError::no_such("payment_intent", id, "payment_intent"));
    }
    let newest_first: Vec<&Refund> = state
        .refunds
        .iter()
        .rev()
        .filter(|refund| {
            query
                .get("payment_intent")
                .is_none_or(|pi| &refund.payment_intent == pi)
                && query
                    .get("charge")
                    .is_none_or(|charge| refund.charge.as_ref() == Some(charge))
                && created_within(&query, refund.created)
        })
        .collect();
    let start = match query.get("starting_after") {
        None => 0,
        Some(cursor) => newest_first
            .iter()
            .position(|refund| &refund.id == cursor)
            .map(|index| index + 1)
            .ok_or_else(|| StripeError::no_such("refund", cursor, "starting_after"))?,
    };
    let data: Vec<Value> = newest_first
        .iter()
        .skip(start)
        .take(limit)
        .map(|refund| refund.json())
        .collect();
    let has_more = start + data.len() < newest_first.len();
    Ok(Json(
        json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/refunds" }),
    ))
}
