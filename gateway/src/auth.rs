//! Bearer tokens: a JWT signed with HS256 (shared secret) or RS256 (the
//! issuer's public key), with an expiry and a subject that is the
//! traveller's user id.
//!
//! The algorithm named in the token's header chooses the key, and only a
//! configured pair is accepted: an HS256 token is never checked against the
//! RSA public key (the classic confusion attack), `none` and every other
//! algorithm are refused. The signature is checked before any claim. A
//! subject in the form of an erasure pseudonym (`erased:…`) is refused: it
//! names what an erased traveller left, and no one may act as it.

use axum::http::HeaderValue;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use autobook_contracts::codes::UserId;

use super::config::{AuthConfig, read_pem};
use super::error::ApiError;

/// Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why the gateway cannot check tokens with its configuration.
#[derive(Debug, thiserror::Error)]
pub enum AuthConfigError {
    #[error("no token key: set AUTOBOOK_JWT_HS256_SECRET or AUTOBOOK_JWT_RS256_PUBLIC_KEY")]
    NoKey,
    #[error("the HS256 secret must be at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    #[error("the RS256 public key cannot be read: {0}")]
    UnreadableKey(std::io::Error),
    #[error("the RS256 public key is not a PEM RSA public key: {0}")]
    InvalidKey(jsonwebtoken::errors::Error),
}

/// Why a request's token was refused (always 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token: send Authorization: Bearer <token>")]
    MissingToken,
    #[error("the token is not a well-formed JWT")]
    Malformed,
    #[error("the token is signed with an algorithm this gateway does not accept")]
    UnsupportedAlgorithm,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet")]
    NotYetValid,
    #[error("the token has no expiry (exp)")]
    MissingExpiry,
    #[error("the token was not issued by the expected issuer")]
    WrongIssuer,
    #[error("the token is not meant for this audience")]
    WrongAudience,
    #[error("the token has no subject (sub)")]
    MissingSubject,
    #[error("the token's subject is not a valid user id")]
    InvalidSubject,
    /// `erased:…` names what an erased traveller left, not a traveller.
    #[error("the token's subject is an erased user's pseudonym, not a traveller")]
    PseudonymSubject,
}

impl AuthError {
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingToken => "missing_token",
            AuthError::Malformed => "malformed_token",
            AuthError::UnsupportedAlgorithm => "unsupported_algorithm",
            AuthError::BadSignature => "bad_signature",
            AuthError::Expired => "token_expired",
            AuthError::NotYetValid => "token_not_yet_valid",
            AuthError::MissingExpiry => "missing_expiry",
            AuthError::WrongIssuer => "wrong_issuer",
            AuthError::WrongAudience => "wrong_audience",
            AuthError::MissingSubject => "missing_subject",
            AuthError::InvalidSubject => "invalid_subject",
            AuthError::PseudonymSubject => "pseudonym_subject",
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            error.code(),
            error.to_string(),
        )
    }
}

/// Checks tokens against the configured keys.
pub struct Verifier {
    hs256: Option<DecodingKey>,
    rs256: Option<DecodingKey>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway_secs: u64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("hs256", &self.hs256.is_some())
            .field("rs256", &self.rs256.is_some())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish()
    }
}

/// The claims the gateway reads; `sub` is checked by hand so that a
/// missing and a malformed subject are told apart.
#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    sub: serde_json::Value,
}

impl Verifier {
    pub fn new(config: &AuthConfig) -> Result<Verifier, AuthConfigError> {
        let hs256 = match &config.hs256_secret {
            Some(secret) if secret.expose().len() < MIN_SECRET_BYTES => {
                return Err(AuthConfigError::ShortSecret);
            }
            Some(secret) => Some(DecodingKey::from_secret(secret.expose())),
            None => None,
        };
        let rs256 = match &config.rs256_public_key_pem {
            Some(pem) => {
                let pem = read_pem(pem).map_err(AuthConfigError::UnreadableKey)?;
                Some(
                    DecodingKey::from_rsa_pem(pem.as_bytes())
                        .map_err(AuthConfigError::InvalidKey)?,
                )
            }
            None => None,
        };
        if hs256.is_none() && rs256.is_none() {
            return Err(AuthConfigError::NoKey);
        }
        Ok(Verifier {
            hs256,
            rs256,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_secs: config.leeway_secs,
        })
    }

    /// The caller named by the `Authorization` header's bearer token.
    pub fn verify(&self, authorization: Option<&HeaderValue>) -> Result<UserId, AuthError> {
        let token = bearer_token(authorization)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            Algorithm::RS256 => self.rs256.as_ref(),
            _ => None,
        }
        .ok_or(AuthError::UnsupportedAlgorithm)?;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.validation(header.alg))
            .map_err(|error| classify(error.kind()))?
            .claims;
        match claims.sub {
            serde_json::Value::Null => Err(AuthError::MissingSubject),
            serde_json::Value::String(sub) => {
                let user = UserId::parse(&sub).map_err(|_| AuthError::InvalidSubject)?;
                if user.is_pseudonym() {
                    return Err(AuthError::PseudonymSubject);
                }
                Ok(user)
            }
            _ => Err(AuthError::InvalidSubject),
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        // The subject is checked by hand (missing and malformed told apart).
        let mut required = vec!["exp"];
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        validation
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer_token(authorization: Option<&HeaderValue>) -> Result<&str, AuthError> {
    let value = authorization
        .ok_or(AuthError::MissingToken)?
        .to_str()
        .map_err(|_| AuthError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    match token.trim() {
        "" => Err(AuthError::MissingToken),
        token => Ok(token),
    }
}

fn classify(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            AuthError::UnsupportedAlgorithm
        }
        ErrorKind::MissingRequiredClaim(claim) if claim == "exp" => AuthError::MissingExpiry,
        ErrorKind::MissingRequiredClaim(claim) if claim == "sub" => AuthError::MissingSubject,
        ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => AuthError::WrongIssuer,
        ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => AuthError::WrongAudience,
        ErrorKind::InvalidClaimFormat(claim) if claim == "sub" => AuthError::InvalidSubject,
        ErrorKind::InvalidClaimFormat(claim) if claim == "exp" => AuthError::MissingExpiry,
        _ => AuthError::Malformed,
    }
}

#[cfg(test)]
mod tests;
