//! Reading payment intents: `GET /v1/payment_intents/{id}` and
//! `GET /v1/payment_intents` (newest first, `limit`, `starting_after`,
//! `customer`), plus the query helpers the search endpoint shares.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde_json::{Value, json};

use super::StripeService;
use super::errors::StripeError;
use super::intents::PaymentIntent;

pub(crate) async fn retrieve(
    State(service): State<Arc<StripeService>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let now = service.ctx.clock.now();
    let mut state = service.state();
    let intent = state.intent_mut(&id, now)?;
    Ok(Json(intent.json()))
}

/// A list `limit` (1 to 100, default 10).
pub(crate) fn list_limit(query: &BTreeMap<String, String>) -> Result<usize, StripeError> {
    match query.get("limit") {
        None => Ok(10),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                StripeError::invalid(
                    "parameter_invalid_integer",
                    "limit",
                    "Invalid limit: must be between 1 and 100",
                )
            }),
    }
}

pub(crate) fn query_of(raw: Option<&str>) -> Result<BTreeMap<String, String>, StripeError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| StripeError::bad_request("The query string is malformed."))?;
    Ok(pairs.into_iter().collect())
}

pub(crate) async fn list(
    State(service): State<Arc<StripeService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let query = query_of(raw.as_deref())?;
    let limit = list_limit(&query)?;
    let now = service.ctx.clock.now();
    let mut state = service.state();
    state.refresh_all(now);
    let newest_first: Vec<&PaymentIntent> = state
        .intents
        .iter()
        .rev()
        .filter(|intent| {
            query
                .get("customer")
                .is_none_or(|c| intent.customer.as_ref() == Some(c))
        })
        .collect();
    let start = match query.get("starting_after") {
        None => 0,
        Some(cursor) => newest_first
            .iter()
            .position(|intent| &intent.id == cursor)
            .map(|index| index + 1)
            .ok_or_else(|| StripeError::no_such("payment_intent", cursor, "starting_after"))?,
    };
    let data: Vec<Value> = newest_first
        .iter()
        .skip(start)
        .take(limit)
        .map(|intent| intent.json())
        .collect();
    let has_more = start + data.len() < newest_first.len();
    Ok(Json(
        json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/payment_intents" }),
    ))
}
