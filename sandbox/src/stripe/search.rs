//! `GET /v1/payment_intents/search?query=metadata['key']:'value'`: exactly
//! that query form (single or double quotes, backslash escapes), newest
//! first, as a `search_result` list.
//!
//! Search is not read-after-write: it answers with each intent as it stood
//! `stripe_search_lag` ago on the sandbox clock (see
//! [`super::search_index`]): one created since is absent, one changed since
//! shows its earlier state. An answer that differs from an up-to-date one
//! counts as a `search_lagged` fault.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::{Value, json};

use super::errors::StripeError;
use super::intents::PaymentIntent;
use super::pagination::{list_limit, query_of};
use super::{StripeService, calls};
use crate::injected::FaultKind;

pub(crate) async fn search(
    State(service): State<Arc<StripeService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let query = query_of(raw.as_deref())?;
    let text = query
        .get("query")
        .ok_or_else(|| StripeError::missing("query"))?;
    let (key, value) = parse_metadata_query(text)?;
    let limit = list_limit(&query)?;
    let lag = service.ctx.behaviour().stripe_search_lag;
    let now = service.ctx.clock.now();
    let seen_at = now - chrono::Duration::from_std(lag).unwrap_or_default();
    let mut state = service.state();
    state.refresh_all(now);
    let matching = |intent: &&PaymentIntent| intent.metadata.get(&key) == Some(&value);
    let current: Vec<Value> = state
        .intents
        .iter()
        .rev()
        .filter(matching)
        .map(|intent| intent.json())
        .collect();
    let matches: Vec<Value> = if lag.is_zero() {
        current.clone()
    } else {
        state
            .intents
            .iter()
            .rev()
            .filter_map(|intent| state.index.as_of(&intent.id, seen_at))
            .filter(matching)
            .map(|intent| intent.json())
            .collect()
    };
    if matches != current {
        service
            .ctx
            .injections
            .count(FaultKind::SearchLagged, calls::SEARCH);
    }
    let has_more = matches.len() > limit;
    let data: Vec<Value> = matches.into_iter().take(limit).collect();
    Ok(Json(json!({
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": null,
        "url": "/v1/payment_intents/search",
    })))
}

/// Reads `metadata['key']:'value'`.
pub(crate) fn parse_metadata_query(text: &str) -> Result<(String, String), StripeError> {
    let invalid = || {
        StripeError::invalid(
            "parameter_invalid_string",
            "query",
            "This sandbox supports search queries of the form metadata['key']:'value'.",
        )
    };
    let rest = text.trim().strip_prefix("metadata[").ok_or_else(invalid)?;
    let (key, rest) = quoted(rest).ok_or_else(invalid)?;
    let rest = rest.strip_prefix("]:").ok_or_else(invalid)?;
    let (value, rest) = quoted(rest).ok_or_else(invalid)?;
    if !rest.trim().is_empty() || key.is_empty() {
        return Err(invalid());
    }
    Ok((key, value))
}

/// A quoted string at the start of `text` and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut chars = text.char_indices();
    let (_, quote) = chars.next().filter(|(_, c)| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    let mut escaped = false;
    for (index, c) in chars {
        if escaped {
            value.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some((value, &text[index + c.len_utf8()..]));
        } else {
            value.push(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_metadata_query_form() {
        assert_eq!(
            parse_metadata_query("metadata['saga_id']:'abc-1'").unwrap(),
            ("saga_id".to_owned(), "abc-1".to_owned())
        );
        assert_eq!(
            parse_metadata_query(r#"metadata["k"]:"it\"s""#).unwrap(),
            ("k".to_owned(), "it\"s".to_owned())
        );
        assert_eq!(
            parse_metadata_query(r"metadata['k']:'o\'brien'").unwrap().1,
            "o'brien"
        );
        for bad in [
            "status:'succeeded'",
            "metadata['k']:'v' AND x",
            "metadata['k']:'v",
            "metadata['']:'v'",
        ] {
            assert!(parse_metadata_query(bad).is_err(), "{bad}");
        }
    }
}
