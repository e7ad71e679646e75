//! How a gateway is configured: where it listens, how it checks tokens,
//! how fast each traveller may call it and how large a body may be. Plain
//! data, shared by `autobook gateway` and the in-process stack; the secret
//! never prints.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use autobook_throttle::RateLimit;

/// Largest request body accepted by default (64 KiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// A running gateway's settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// Where to listen (port 0: any free port).
    pub addr: SocketAddr,
    pub auth: AuthConfig,
    /// Requests per traveller (`None`: unlimited).
    pub rate_limit: Option<RateLimit>,
    /// Redis shared by every gateway instance for the per-traveller limit;
    /// `None` (or Redis unreachable): each instance limits on its own.
    pub redis_url: Option<String>,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// The Stripe webhook endpoint's signing secret; `None`: the endpoint
    /// answers 404 (no webhooks are taken).
    pub stripe_webhook_secret: Option<autobook_contracts::stripe_webhook::WebhookSecret>,
}

impl GatewayConfig {
    /// Listening on `addr` with `auth`, 64 KiB bodies, 5 requests a second
    /// per traveller with bursts of 20, limited in-process.
    pub fn new(addr: SocketAddr, auth: AuthConfig) -> Self {
        GatewayConfig {
            addr,
            auth,
            rate_limit: RateLimit::new(5.0, 20),
            redis_url: None,
            body_limit: DEFAULT_BODY_LIMIT,
            stripe_webhook_secret: None,
        }
    }
}

/// Which bearer tokens the gateway accepts. At least one key must be set.
#[derive(Debug, Clone, Default)]
pub struct AuthConfig {
    /// Shared secret of HS256 tokens (at least 32 bytes).
    pub hs256_secret: Option<JwtSecret>,
    /// PEM public key (SPKI or PKCS#1) of RS256 tokens.
    pub rs256_public_key_pem: Option<String>,
    /// Required `iss`, if set.
    pub issuer: Option<String>,
    /// Required `aud`, if set.
    pub audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

/// The HS256 secret. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct JwtSecret(String);

impl JwtSecret {
    pub fn new(secret: impl Into<String>) -> Self {
        JwtSecret(secret.into())
    }

    /// The secret itself, to build the verification key. Never log it.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

impl FromStr for JwtSecret {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(JwtSecret::new(s))
    }
}

/// A PEM key given as its text, or as `@path` to a file holding it.
pub fn read_pem(value: &str) -> std::io::Result<String> {
    match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path),
        None => Ok(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_prints() {
        let config = AuthConfig {
            hs256_secret: Some(JwtSecret::new("a-very-secret-value-of-32-bytes!!")),
            ..AuthConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
    }

    #[test]
    fn pem_keys_come_as_text_or_from_a_file() {
        assert_eq!(read_pem("-----BEGIN X-----").unwrap(), "-----BEGIN X-----");
        let path = std::env::temp_dir().join(format!("autobook-pem-{}", std::process::id()));
        std::fs::write(&path, "from file").unwrap();
        assert_eq!(
            read_pem(&format!("@{}", path.display())).unwrap(),
            "from file"
        );
        std::fs::remove_file(&path).unwrap();
        assert!(read_pem("@/nonexistent/key.pem").is_err());
    }
}
