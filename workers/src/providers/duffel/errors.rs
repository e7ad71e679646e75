//! Reading Duffel answers: unwrapping `{"data":...}` on success and turning
//! error answers (`{"errors":[...],"meta":{...}}`) into [`ProviderError`].

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::wire::{Envelope, ErrorBody, ErrorItem};
use crate::providers::error::{ErrorAnswer, Provider, ProviderError, clip};
use crate::providers::rate_limit::retry_after;
use crate::providers::transport::{RawResponse, parse_json};

/// The 422 code of a cancellation for an order that is already cancelled.
pub const ALREADY_CANCELLED: &str = "already_cancelled";
/// The 422 code of an offer that expired or sold out.
pub const OFFER_NO_LONGER_AVAILABLE: &str = "offer_no_longer_available";
/// The code of an order whose payment no longer matches the offer price.
pub const PRICE_CHANGED: &str = "price_changed";

/// The `data` of a successful answer, or the error it carries.
pub fn decode<T: DeserializeOwned>(
    raw: &RawResponse,
    now: DateTime<Utc>,
) -> Result<T, ProviderError> {
    if raw.is_success() {
        parse_json::<Envelope<T>>(Provider::Duffel, raw).map(|envelope| envelope.data)
    } else {
        Err(error_from_response(raw, now))
    }
}

/// Classifies an error answer. `now` measures a `ratelimit-reset` date.
pub fn error_from_response(raw: &RawResponse, now: DateTime<Utc>) -> ProviderError {
    let provider = Provider::Duffel;
    let status = raw.status;
    let body: Option<ErrorBody> = serde_json::from_slice(&raw.body).ok();
    let errors = body.as_ref().map(|b| b.errors.as_slice()).unwrap_or(&[]);
    let first = errors.first();
    let code = first.and_then(|e| e.code.as_deref()).map(clip);
    let message = if errors.is_empty() {
        format!("HTTP {status} without a Duffel error body")
    } else {
        clip(&errors.iter().map(describe).collect::<Vec<_>>().join("; "))
    };
    let answer = ErrorAnswer {
        error_type: first.map(|error| clip(error.kind.as_deref().unwrap_or("unknown"))),
        code,
        message,
        ..ErrorAnswer::default()
    };
    ProviderError::from_answer(provider, status, answer, retry_after(&raw.headers, now))
}

fn describe(error: &ErrorItem) -> String {
    match (error.title.as_deref(), error.message.as_deref()) {
        (Some(title), Some(message)) => format!("{title}: {message}"),
        (Some(text), None) | (None, Some(text)) => text.to_owned(),
        (None, None) => error
            .code
            .clone()
            .unwrap_or_else(|| "no message".to_owned()),
    }
}
