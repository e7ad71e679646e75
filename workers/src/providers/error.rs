//! What can go wrong when talking to a provider, and what the caller should
//! do about it ([`ErrorClass`]).
//!
//! Messages never carry request bodies or personal data; provider messages
//! are kept (they explain rejections) but cut to [`MESSAGE_LIMIT`] characters.

use std::fmt;
use std::time::Duration;

/// The most characters of a provider message or detail kept in an error.
pub const MESSAGE_LIMIT: usize = 300;

/// The outside service a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    Duffel,
    Stripe,
    Email,
}

impl Provider {
    /// Lowercase name, as used in metric labels and logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Provider::Duffel => "duffel",
            Provider::Stripe => "stripe",
            Provider::Email => "email",
        }
    }

    pub(crate) fn env_prefix(&self) -> &'static str {
        match self {
            Provider::Duffel => "DUFFEL",
            Provider::Stripe => "STRIPE",
            Provider::Email => "EMAIL",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed provider call.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The request never reached the server (DNS, refused, connect timeout, TLS).
    #[error("{provider}: could not connect: {detail}")]
    Connect { provider: Provider, detail: String },
    /// The request was sent but no complete answer came back in time (or the
    /// connection dropped mid-answer): it may have taken effect.
    #[error("{provider}: no complete answer in time; the request may have taken effect")]
    Timeout { provider: Provider },
    /// HTTP 429.
    #[error("{provider}: rate limited{}", retry_after_text(.retry_after))]
    RateLimited {
        provider: Provider,
        retry_after: Option<Duration>,
    },
    /// HTTP 409: a concurrent request with the same idempotency key.
    #[error("{provider}: conflicting concurrent request: {detail}")]
    Conflict { provider: Provider, detail: String },
    /// HTTP 5xx.
    #[error("{provider}: server error {status}{}: {detail}", code_text(.code))]
    Server {
        provider: Provider,
        status: u16,
        code: Option<String>,
        detail: String,
    },
    /// A definite no (4xx other than 409 and 429).
    #[error("{provider}: rejected with {status} {error_type}{}{}: {message}", code_text(.code), decline_text(.decline_code))]
    Rejected {
        provider: Provider,
        status: u16,
        error_type: String,
        code: Option<String>,
        decline_code: Option<String>,
        payment_intent_id: Option<String>,
        message: String,
    },
    /// An answer we could not understand.
    #[error("{provider}: unexpected response with status {status}: {detail}")]
    InvalidResponse {
        provider: Provider,
        status: u16,
        detail: String,
    },
    /// The request could not be built from our input.
    #[error("invalid provider request: {0}")]
    InvalidRequest(String),
}

/// What the caller should do after an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Nothing happened (or the provider dedups by key): retry with the same key.
    Retryable,
    /// It may have taken effect: look the result up before acting again.
    OutcomeUnknown,
    /// A definite no: answer with a failure event.
    Permanent,
}

impl ErrorClass {
    /// Label for metrics (`outcome`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorClass::Retryable => "retryable",
            ErrorClass::OutcomeUnknown => "outcome_unknown",
            ErrorClass::Permanent => "permanent",
        }
    }
}

/// Duffel's "guaranteed no order and no payment" code on a 502.
pub const DUFFEL_ORDER_NOT_CREATED: &str = "order_not_created";

/// What a provider's error body said, in common terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorAnswer {
    /// The error's type (Duffel and Stripe `type`, email `name`); `None`
    /// when the body carried no error at all.
    pub error_type: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub payment_intent_id: Option<String>,
    pub message: String,
}

impl ProviderError {
    /// Classifies an error answer by its status: 429 throttled, 409 a
    /// concurrent request with the same key, 5xx trouble on their side,
    /// any other 4xx with an error body a definite refusal.
    pub fn from_answer(
        provider: Provider,
        status: u16,
        answer: ErrorAnswer,
        retry_after: Option<std::time::Duration>,
    ) -> Self {
        match status {
            429 => ProviderError::RateLimited {
                provider,
                retry_after,
            },
            409 => ProviderError::Conflict {
                provider,
                detail: answer.message,
            },
            500..=599 => ProviderError::Server {
                provider,
                status,
                code: answer.code,
                detail: answer.message,
            },
            400..=499 => match answer.error_type {
                Some(error_type) => ProviderError::Rejected {
                    provider,
                    status,
                    error_type,
                    code: answer.code,
                    decline_code: answer.decline_code,
                    payment_intent_id: answer.payment_intent_id,
                    message: answer.message,
                },
                None => ProviderError::invalid_response(provider, status, &answer.message),
            },
            _ => ProviderError::invalid_response(provider, status, "unexpected HTTP status"),
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            ProviderError::Connect { .. } => ErrorClass::Retryable,
            ProviderError::RateLimited { .. } => ErrorClass::Retryable,
            ProviderError::Conflict { .. } => ErrorClass::Retryable,
            ProviderError::Timeout { .. } => ErrorClass::OutcomeUnknown,
            ProviderError::Server {
                provider: Provider::Duffel,
                status: 502,
                code: Some(code),
                ..
            } if code == DUFFEL_ORDER_NOT_CREATED => ErrorClass::Retryable,
            ProviderError::Server { .. } => ErrorClass::OutcomeUnknown,
            ProviderError::Rejected { .. } => ErrorClass::Permanent,
            ProviderError::InvalidResponse { status, .. } if (200..300).contains(status) => {
                ErrorClass::OutcomeUnknown
            }
            ProviderError::InvalidResponse { .. } => ErrorClass::Permanent,
            ProviderError::InvalidRequest(_) => ErrorClass::Permanent,
        }
    }

    /// The provider's error code (Duffel `code`, Stripe `code`), if any.
    pub fn code(&self) -> Option<&str> {
        match self {
            ProviderError::Server { code, .. } | ProviderError::Rejected { code, .. } => {
                code.as_deref()
            }
            _ => None,
        }
    }

    pub(crate) fn invalid_response(provider: Provider, status: u16, detail: &str) -> Self {
        ProviderError::InvalidResponse {
            provider,
            status,
            detail: clip(detail),
        }
    }

    pub(crate) fn invalid_request(detail: &str) -> Self {
        ProviderError::InvalidRequest(clip(detail))
    }
}

/// Cuts a provider message to [`MESSAGE_LIMIT`] characters and replaces
/// control characters, so it cannot flood or forge a log line.
pub fn clip(message: &str) -> String {
    let mut out: String = message
        .chars()
        .take(MESSAGE_LIMIT)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if message.chars().count() > MESSAGE_LIMIT {
        out.push('…');
    }
    out
}

fn retry_after_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(", retry after {} ms", wait.as_millis()),
        None => String::new(),
    }
}

fn code_text(code: &Option<String>) -> String {
    match code {
        Some(code) => format!(" ({code})"),
        None => String::new(),
    }
}

fn decline_text(decline_code: &Option<String>) -> String {
    match decline_code {
        Some(decline) => format!(" [decline {decline}]"),
        None => String::new(),
    }
}
