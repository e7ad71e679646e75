//! Provider connection settings: base URL, API key and timeouts.
//!
//! The API key is wrapped in [`ApiKey`], whose `Debug` and `Display` never
//! show the secret; only [`ApiKey::expose`] hands it out, for the
//! `Authorization` header.

use std::fmt;
use std::time::Duration;

use super::error::Provider;

/// Default budget for one request, from connecting to the end of the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default budget for opening a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A provider secret (Duffel access token, Stripe secret key, email API key).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(secret: impl Into<String>) -> Self {
        ApiKey(secret.into())
    }

    /// Reads the key from an environment variable; empty counts as missing.
    pub fn from_env(variable: &str) -> Result<Self, ConfigError> {
        Self::from_lookup(variable, |name| std::env::var(name).ok())
    }

    fn from_lookup(
        variable: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        match lookup(variable) {
            Some(value) if !value.trim().is_empty() => Ok(ApiKey(value.trim().to_owned())),
            _ => Err(ConfigError::Missing(variable.to_owned())),
        }
    }

    /// The secret itself, for the `Authorization` header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where and how to reach one provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Scheme, host and optional path prefix, e.g. `https://api.duffel.com`
    /// or `http://127.0.0.1:4010`; request paths are appended to it.
    pub base_url: String,
    pub api_key: ApiKey,
    /// Budget for one request (connect, send, answer, body).
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

/// A setting could not be read from the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is missing or empty")]
    Missing(String),
    #[error("environment variable {0} must be a whole number of milliseconds")]
    InvalidMillis(String),
}

impl ProviderConfig {
    /// A configuration with the default timeouts (10 s per request, 2 s to connect).
    pub fn new(base_url: impl Into<String>, api_key: ApiKey) -> Self {
        ProviderConfig {
            base_url: base_url.into(),
            api_key,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }

    /// Reads `<P>_BASE_URL`, `<P>_API_KEY` and optionally `<P>_TIMEOUT_MS`,
    /// where `<P>` is `DUFFEL`, `STRIPE` or `EMAIL`.
    pub fn from_env(provider: Provider) -> Result<Self, ConfigError> {
        Self::from_lookup(provider, |name| std::env::var(name).ok())
    }

    /// As [`ProviderConfig::from_env`], reading variables through `lookup`.
    pub fn from_lookup(
        provider: Provider,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let prefix = provider.env_prefix();
        let url_var = format!("{prefix}_BASE_URL");
        let base_url = lookup(&url_var)
            .filter(|url| !url.trim().is_empty())
            .ok_or(ConfigError::Missing(url_var))?;
        let api_key = ApiKey::from_lookup(&format!("{prefix}_API_KEY"), &lookup)?;
        let mut config = ProviderConfig::new(base_url.trim(), api_key);
        let timeout_var = format!("{prefix}_TIMEOUT_MS");
        if let Some(raw) = lookup(&timeout_var) {
            let millis: u64 = raw
                .trim()
                .parse()
                .map_err(|_| ConfigError::InvalidMillis(timeout_var))?;
            config.timeout = Duration::from_millis(millis);
        }
        Ok(config)
    }
}
