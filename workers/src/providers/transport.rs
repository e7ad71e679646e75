//! The HTTP plumbing shared by every provider client: one `reqwest::Client`
//! per provider with its auth header, user agent and timeouts; sending a
//! request, reading its whole answer, and recording metrics and logs.
//!
//! Clients hand [`HttpTransport::execute`] a pure `decode` function from
//! [`RawResponse`] to their result, so decoding is testable without HTTP and
//! the metrics record the final outcome (including undecodable answers).
//! Each request runs in a `provider request` span (a client span) with the
//! provider, the operation, the HTTP status and the outcome: never URLs,
//! bodies or ids.

use std::error::Error as StdError;
use std::time::Instant;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use tracing::field::Empty;

use super::config::ProviderConfig;
use super::error::{Provider, ProviderError, clip};
use super::telemetry::{RequestReport, outcome_label, record};

/// Sent on every request.
pub const USER_AGENT: &str = concat!("autobook/", env!("CARGO_PKG_VERSION"));

/// An answer, read in full.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The provider's id of this request (`x-request-id`, Stripe `request-id`).
    pub fn request_id(&self) -> Option<&str> {
        ["x-request-id", "request-id"]
            .iter()
            .find_map(|name| self.headers.get(*name)?.to_str().ok())
    }
}

/// A configured HTTP client for one provider.
#[derive(Debug, Clone)]
pub(crate) struct HttpTransport {
    provider: Provider,
    base_url: String,
    client: reqwest::Client,
}

impl HttpTransport {
    pub(crate) fn new(
        provider: Provider,
        config: &ProviderConfig,
        mut headers: HeaderMap,
    ) -> Result<Self, ProviderError> {
        let base_url = validate_base_url(&config.base_url)?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.api_key.expose()))
            .map_err(|_| {
                ProviderError::invalid_request("the API key has characters not allowed in a header")
            })?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                ProviderError::invalid_request(&format!(
                    "could not build the HTTP client: {}",
                    error_chain(&e)
                ))
            })?;
        Ok(HttpTransport {
            provider,
            base_url,
            client,
        })
    }

    /// A request to `path` (which starts with `/`) under the base URL.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base_url))
    }

    /// Sends `request`, reads the whole answer, decodes it and records the
    /// outcome under `operation`.
    pub(crate) async fn execute<T>(
        &self,
        operation: &'static str,
        request: RequestBuilder,
        decode: impl FnOnce(&RawResponse) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let provider = self.provider.as_str();
        let span = tracing::info_span!(
            "provider request",
            otel.name = %format!("{provider} {operation}"),
            otel.kind = "client",
            otel.status_code = Empty,
            provider,
            operation,
            http.response.status_code = Empty,
            outcome = Empty,
        );
        self.execute_in_span(operation, request, decode)
            .instrument(span)
            .await
    }

    async fn execute_in_span<T>(
        &self,
        operation: &'static str,
        request: RequestBuilder,
        decode: impl FnOnce(&RawResponse) -> Result<T, ProviderError>,
    ) -> Result<T, ProviderError> {
        let started = Instant::now();
        let (result, status, request_id) = match self.fetch(request).await {
            Ok(raw) => (
                decode(&raw),
                Some(raw.status),
                raw.request_id().map(str::to_owned),
            ),
            Err(error) => (Err(error), None, None),
        };
        let outcome = outcome_label(&result);
        let span = tracing::Span::current();
        span.record("http.response.status_code", status);
        span.record("outcome", outcome);
        if result.is_err() {
            span.record("otel.status_code", "ERROR");
        }
        record(&RequestReport {
            provider: self.provider,
            operation,
            outcome,
            status,
            elapsed: started.elapsed(),
            request_id: request_id.as_deref(),
        });
        result
    }

    async fn fetch(&self, request: RequestBuilder) -> Result<RawResponse, ProviderError> {
        let response = request
            .send()
            .await
            .map_err(|e| send_error(self.provider, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        // A body cut short is no complete answer: the request may have
        // taken effect, exactly as after a timeout.
        let body = response.bytes().await.map_err(|_| ProviderError::Timeout {
            provider: self.provider,
        })?;
        Ok(RawResponse {
            status,
            headers,
            body: body.to_vec(),
        })
    }
}

fn send_error(provider: Provider, error: &reqwest::Error) -> ProviderError {
    if error.is_builder() {
        ProviderError::invalid_request(&error_chain(error))
    } else if error.is_connect() {
        ProviderError::Connect {
            provider,
            detail: clip(&error_chain(error)),
        }
    } else {
        ProviderError::Timeout { provider }
    }
}

/// The error and its causes, without the URL.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current = error.source();
    while let Some(cause) = current {
        parts.push(cause.to_string());
        current = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ")
}

fn validate_base_url(raw: &str) -> Result<String, ProviderError> {
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| ProviderError::invalid_request(&format!("invalid base URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(ProviderError::invalid_request(
            "base URL must be http(s)://host[:port][/prefix] without query or credentials",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Checks an id before it goes into a URL path (off_..., ord_..., pi_...):
/// 1 to 255 ASCII letters, digits, `_` or `-`.
pub(crate) fn path_id<'a>(what: &str, id: &'a str) -> Result<&'a str, ProviderError> {
    let valid = (1..=255).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(id)
    } else {
        Err(ProviderError::invalid_request(&format!(
            "{what} must be 1 to 255 letters, digits, '_' or '-'"
        )))
    }
}

/// Parses a JSON body. The error detail never quotes values from the body
/// (it may hold personal data), only what was missing and where.
pub(crate) fn parse_json<T: DeserializeOwned>(
    provider: Provider,
    raw: &RawResponse,
) -> Result<T, ProviderError> {
    serde_json::from_slice(&raw.body)
        .map_err(|e| ProviderError::invalid_response(provider, raw.status, &json_error_detail(&e)))
}

/// A serde_json error described without the offending value.
pub(crate) fn json_error_detail(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let position = format!("line {} column {}", error.line(), error.column());
    match error.classify() {
        Category::Data => {
            let message = error.to_string();
            if message.starts_with("missing field") {
                message
            } else {
                format!("unexpected JSON value at {position}")
            }
        }
        Category::Syntax => format!("malformed JSON at {position}"),
        Category::Eof => "truncated JSON body".to_owned(),
        Category::Io => "unreadable body".to_owned(),
    }
}
