//! The LaunchDarkly provider, on the official server SDK. The SDK keeps
//! every flag in memory (streamed from LaunchDarkly), so an evaluation is
//! local. Both flags are evaluated for a context whose key is the user id
//! and that carries nothing else. An SDK that runs offline or has not
//! initialised gives no decision (so money does not move).

use std::fmt;
use std::time::Duration;

use launchdarkly_server_sdk::{
    Client, Config, ConfigBuilder, Context, ContextBuilder, EvalError, Reason,
};

use crate::decision::{DenyReason, FlagDecision, decide};
use crate::error::FlagError;
use crate::source::FlagSource;

/// The flag keys in LaunchDarkly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagKeys {
    /// A boolean flag: `true` stops all money movement.
    pub kill_switch: String,
    /// A boolean flag, targeted per user: `true` lets the pipeline book.
    pub pipeline: String,
}

impl Default for FlagKeys {
    fn default() -> Self {
        FlagKeys {
            kill_switch: "autobook-kill-switch".to_owned(),
            pipeline: "auto-booking-pipeline-enabled".to_owned(),
        }
    }
}

/// A LaunchDarkly SDK key: a secret, so it never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct SdkKey(String);

impl SdkKey {
    pub fn new(key: impl Into<String>) -> SdkKey {
        SdkKey(key.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SdkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SdkKey(<redacted>)")
    }
}

impl std::str::FromStr for SdkKey {
    type Err = std::convert::Infallible;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Ok(SdkKey::new(key))
    }
}

/// The LaunchDarkly provider.
pub struct LaunchDarklyFlags {
    client: Client,
    keys: FlagKeys,
    offline: bool,
}

impl LaunchDarklyFlags {
    /// Connects to LaunchDarkly with `sdk_key` and starts streaming on the
    /// current tokio runtime. Returns at once; see
    /// [`LaunchDarklyFlags::wait_until_initialised`].
    pub fn connect(sdk_key: &SdkKey, keys: FlagKeys) -> Result<LaunchDarklyFlags, FlagError> {
        install_crypto_provider();
        let config = ConfigBuilder::new(sdk_key.expose())
            .build()
            .map_err(|e| FlagError::Client(e.to_string()))?;
        LaunchDarklyFlags::start(config, keys)
    }

    /// Starts the SDK with a configuration of the caller's (a test's
    /// `TestData` source, an offline client, a relay proxy's endpoints).
    pub fn start(config: Config, keys: FlagKeys) -> Result<LaunchDarklyFlags, FlagError> {
        install_crypto_provider();
        let offline = config.offline();
        let client = Client::build(config).map_err(|e| FlagError::Client(e.to_string()))?;
        client.start_with_default_executor();
        Ok(LaunchDarklyFlags {
            client,
            keys,
            offline,
        })
    }

    /// Waits until the SDK has its flag data, at most `timeout`; false if it
    /// has not (evaluations fail until it has).
    pub async fn wait_until_initialised(&self, timeout: Duration) -> bool {
        !self.offline
            && self.client.wait_for_initialization(timeout).await == Some(true)
            && self.client.initialized()
    }

    /// Flushes analytics events and stops the SDK.
    pub fn close(&self) {
        self.client.close();
    }

    fn context(user_id: &str) -> Result<Context, FlagError> {
        // The key only: no name, email or other attribute leaves the process.
        ContextBuilder::new(user_id)
            .build()
            .map_err(|detail| FlagError::Evaluation {
                flag: "(context)".to_owned(),
                detail,
            })
    }

    fn bool_flag(&self, context: &Context, key: &str, fallback: bool) -> Result<bool, FlagError> {
        let detail = self.client.bool_variation_detail(context, key, fallback);
        match (detail.reason, detail.value) {
            (Reason::Error { error }, _) => Err(evaluation_error(key, error)),
            (_, Some(value)) => Ok(value),
            (_, None) => Err(FlagError::Evaluation {
                flag: key.to_owned(),
                detail: "no value".to_owned(),
            }),
        }
    }
}

impl FlagSource for LaunchDarklyFlags {
    fn evaluate(&self, user_id: &str) -> Result<FlagDecision, FlagError> {
        if self.offline {
            return Err(FlagError::Offline);
        }
        if !self.client.initialized() {
            return Err(FlagError::NotInitialised);
        }
        let context = LaunchDarklyFlags::context(user_id)?;
        // The fallbacks are the closed positions, should an error slip by.
        if self.bool_flag(&context, &self.keys.kill_switch, true)? {
            return Ok(FlagDecision::Denied(DenyReason::KillSwitch));
        }
        let pipeline = self.bool_flag(&context, &self.keys.pipeline, false)?;
        Ok(decide(false, pipeline))
    }

    fn provider(&self) -> &'static str {
        "launchdarkly"
    }
}

fn evaluation_error(key: &str, error: EvalError) -> FlagError {
    match error {
        EvalError::ClientNotReady => FlagError::NotInitialised,
        EvalError::FlagNotFound
        | EvalError::MalformedFlag
        | EvalError::WrongType
        | EvalError::Exception => FlagError::Evaluation {
            flag: key.to_owned(),
            detail: format!("{error:?}"),
        },
    }
}

/// The SDK's HTTPS client and rustls-based crates elsewhere in the process
/// would each pick a TLS crypto provider from rustls' features, and with
/// more than one enabled in the build rustls refuses to guess. Installing
/// one for the process settles it; a provider already installed is kept.
pub fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sdk_key_never_prints() {
        let key = SdkKey::new("sdk-0123-secret");
        assert_eq!(format!("{key:?}"), "SdkKey(<redacted>)");
    }
}
