//! The email HTTP client (`POST /emails` with JSON and an
//! `Idempotency-Key`), its pure body building and error reading.

use std::fmt;

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::providers::config::ProviderConfig;
use crate::providers::error::{ErrorAnswer, Provider, ProviderError, clip};
use crate::providers::rate_limit::retry_after;
use crate::providers::transport::{HttpTransport, RawResponse, parse_json};

/// Most recipients of one email.
pub const MAX_RECIPIENTS: usize = 50;
/// Longest idempotency key the API keeps.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 256;
/// Longest tag name or value.
pub const MAX_TAG_CHARS: usize = 256;
/// The 409 name of a key reused with another payload: a definite no.
pub const INVALID_IDEMPOTENT_REQUEST: &str = "invalid_idempotent_request";

/// An email to send. Its `Debug` hides addresses and content.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// "autobook <trips@example.com>" or a plain address.
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Name/value pairs for the provider's analytics; sanitized on sending.
    pub tags: Vec<(String, String)>,
}

impl fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag_names: Vec<&str> = self.tags.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("OutgoingEmail")
            .field("from", &"<redacted>")
            .field("to", &format_args!("<{} redacted>", self.to.len()))
            .field("subject", &"<redacted>")
            .field("html_bytes", &self.html.len())
            .field("text_bytes", &self.text.len())
            .field("tags", &tag_names)
            .finish()
    }
}

/// The JSON body of `POST /emails`.
#[derive(Serialize)]
pub struct EmailBody<'a> {
    pub from: &'a str,
    pub to: &'a [String],
    pub subject: &'a str,
    pub html: &'a str,
    pub text: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
struct SentEmail {
    id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: Option<String>,
    name: Option<String>,
}

/// A client of the email API.
#[derive(Debug, Clone)]
pub struct EmailClient {
    http: HttpTransport,
}

impl EmailClient {
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = HttpTransport::new(Provider::Email, &config, headers)?;
        Ok(EmailClient { http })
    }

    /// Sends the email; returns the provider's email id.
    pub async fn send(
        &self,
        email: &OutgoingEmail,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        let body = email_body(email)?;
        let request = self
            .http
            .request(Method::POST, "/emails")
            .header("Idempotency-Key", check_idempotency_key(idempotency_key)?)
            .json(&body);
        self.http.execute("send_email", request, decode_sent).await
    }
}

/// Builds and checks the JSON body: 1 to 50 recipients, non-empty sender
/// and subject, tags sanitized (tags that end up empty are dropped).
pub fn email_body(email: &OutgoingEmail) -> Result<EmailBody<'_>, ProviderError> {
    if email.to.is_empty() || email.to.len() > MAX_RECIPIENTS {
        return Err(ProviderError::invalid_request(
            "an email needs 1 to 50 recipients",
        ));
    }
    if email.to.iter().any(|to| to.trim().is_empty()) || email.from.trim().is_empty() {
        return Err(ProviderError::invalid_request(
            "sender and recipients must not be empty",
        ));
    }
    if email.subject.trim().is_empty() {
        return Err(ProviderError::invalid_request("the subject is empty"));
    }
    let tags = email
        .tags
        .iter()
        .map(|(name, value)| Tag {
            name: sanitize_tag(name),
            value: sanitize_tag(value),
        })
        .filter(|tag| !tag.name.is_empty() && !tag.value.is_empty())
        .collect();
    Ok(EmailBody {
        from: &email.from,
        to: &email.to,
        subject: &email.subject,
        html: &email.html,
        text: &email.text,
        tags,
    })
}

/// Keeps ASCII letters, digits, `_` and `-`; anything else becomes `_`.
pub fn sanitize_tag(raw: &str) -> String {
    raw.trim()
        .chars()
        .take(MAX_TAG_CHARS)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn check_idempotency_key(key: &str) -> Result<&str, ProviderError> {
    let valid = !key.is_empty()
        && key.chars().count() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(key)
    } else {
        Err(ProviderError::invalid_request(
            "idempotency key must be 1 to 256 visible ASCII characters",
        ))
    }
}

/// The email id of a successful answer, or the error it carries.
pub fn decode_sent(raw: &RawResponse) -> Result<String, ProviderError> {
    if !raw.is_success() {
        return Err(error_from_response(raw, Utc::now()));
    }
    let sent: SentEmail = parse_json(Provider::Email, raw)?;
    if sent.id.is_empty() {
        return Err(ProviderError::invalid_response(
            Provider::Email,
            raw.status,
            "empty email id",
        ));
    }
    Ok(sent.id)
}

/// Classifies an error answer `{"statusCode","message","name"}`.
pub fn error_from_response(raw: &RawResponse, now: DateTime<Utc>) -> ProviderError {
    let provider = Provider::Email;
    let status = raw.status;
    let body = serde_json::from_slice::<ErrorBody>(&raw.body).ok();
    let name = body.as_ref().and_then(|b| b.name.as_deref()).map(clip);
    let message = body
        .as_ref()
        .and_then(|b| b.message.as_deref())
        .map(clip)
        .unwrap_or_else(|| format!("HTTP {status} without an error message"));
    // Resend answers 409 both to a concurrent duplicate (retry) and to a
    // reused key with another payload: the latter is a definite refusal.
    if status == 409 && name.as_deref() == Some(INVALID_IDEMPOTENT_REQUEST) {
        return ProviderError::Rejected {
            provider,
            status,
            error_type: INVALID_IDEMPOTENT_REQUEST.to_owned(),
            code: name,
            decline_code: None,
            payment_intent_id: None,
            message,
        };
    }
    let answer = ErrorAnswer {
        error_type: Some(name.clone().unwrap_or_else(|| "unknown".to_owned())),
        code: name,
        message,
        ..ErrorAnswer::default()
    };
    ProviderError::from_answer(provider, status, answer, retry_after(&raw.headers, now))
}
