//! Reading payment intents, always up to date: `GET
//! /v1/payment_intents/{id}` and `GET /v1/payment_intents` (newest first;
//! `customer`, the `created` filters, `limit`, `starting_after`,
//! `ending_before`; see [`super::pagination`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::Value;

use super::StripeService;
use super::errors::StripeError;
use super::intents::PaymentIntent;
use super::pagination::{ListParams, list_object, query_of};

/// What `GET /v1/payment_intents` filters on besides the common parameters.
const FILTERS: &[&str] = &["customer"];

pub(crate) async fn retrieve(
    State(service): State<Arc<StripeService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let now = service.ctx.clock.now();
    let mut state = service.state();
    let intent = state.intent_mut(&id, now)?;
    Ok(Json(intent.json()))
}

pub(crate) async fn list(
    State(service): State<Arc<StripeService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let query = query_of(raw.as_deref())?;
    let params = ListParams::parse(&query, FILTERS)?;
    let customer = query.get("customer");
    let now = service.ctx.clock.now();
    let mut state = service.state();
    state.refresh_all(now);
    let newest_first: Vec<&PaymentIntent> = state.intents.iter().rev().collect();
    let (page, has_more) = params.page(
        &newest_first,
        |intent| intent.id.as_str(),
        |intent| intent.created,
        |intent| customer.is_none_or(|c| intent.customer.as_ref() == Some(c)),
        "payment_intent",
    )?;
    let data = page.iter().map(|intent| intent.json()).collect();
    Ok(Json(list_object(data, has_more, "/v1/payment_intents")))
}
