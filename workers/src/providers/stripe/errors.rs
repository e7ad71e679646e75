//! Reading Stripe answers: JSON objects on success, `{"error":{...}}` on
//! failure, turned into [`ProviderError`].

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::wire::ErrorBody;
use crate::providers::error::{ErrorAnswer, Provider, ProviderError, clip};
use crate::providers::rate_limit::retry_after;
use crate::providers::transport::{RawResponse, parse_json};

/// The body of a successful answer, or the error it carries.
pub fn decode<T: DeserializeOwned>(
    raw: &RawResponse,
    now: DateTime<Utc>,
) -> Result<T, ProviderError> {
    if raw.is_success() {
        parse_json(Provider::Stripe, raw)
    } else {
        Err(error_from_response(raw, now))
    }
}

/// Classifies an error answer: 402 card errors keep their code, decline
/// code and PaymentIntent id.
pub fn error_from_response(raw: &RawResponse, now: DateTime<Utc>) -> ProviderError {
    let provider = Provider::Stripe;
    let status = raw.status;
    let error = serde_json::from_slice::<ErrorBody>(&raw.body)
        .ok()
        .map(|body| body.error);
    let code = error.as_ref().and_then(|e| e.code.as_deref()).map(clip);
    let message = error
        .as_ref()
        .and_then(|e| e.message.as_deref())
        .map(clip)
        .unwrap_or_else(|| format!("HTTP {status} without a Stripe error message"));
    let answer = ErrorAnswer {
        error_type: error
            .as_ref()
            .map(|e| clip(e.kind.as_deref().unwrap_or("unknown"))),
        code,
        decline_code: error
            .as_ref()
            .and_then(|e| e.decline_code.as_deref())
            .map(clip),
        payment_intent_id: error.and_then(|e| e.payment_intent).map(|pi| clip(&pi.id)),
        message,
    };
    ProviderError::from_answer(provider, status, answer, retry_after(&raw.headers, now))
}
