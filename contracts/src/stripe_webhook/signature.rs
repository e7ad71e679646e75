//! Stripe webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]`
//! where each `v1` is `hex(HMAC-SHA256(secret, "<t>.<raw body>"))`.
//!
//! An event is accepted when any `v1` matches (Stripe sends several while a
//! secret is being rolled), compared in constant time, and its timestamp
//! is within the tolerance of `now` (300 s by default), in either direction.
//! Other schemes (`v0`) are ignored. Pure: the caller passes the raw body as
//! received, the secret and `now`. Telling a replayed event apart from a new
//! one needs its id remembered, which is the receiver's job. [`sign`] makes
//! the header as Stripe (and the sandbox) sends it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance between the signature's time and ours.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// A webhook endpoint's signing secret (`whsec_...`). Never printed.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: impl Into<String>) -> WebhookSecret {
        WebhookSecret(secret.into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length.
        Hmac::<Sha256>::new_from_slice(self.0.as_bytes()).expect("HMAC accepts any key length")
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Why a signed event is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is malformed: {0}")]
    Malformed(&'static str),
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error(
        "the signature's timestamp is {seconds} s away from now, over the {tolerance} s tolerance"
    )]
    OutsideTolerance { seconds: i64, tolerance: u64 },
    #[error("no v1 signature matches the body")]
    Mismatch,
}

impl SignatureError {
    /// A stable code for answers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Malformed(_) => "signature_malformed",
            SignatureError::NoSignature => "signature_missing",
            SignatureError::OutsideTolerance { .. } => "signature_stale",
            SignatureError::Mismatch => "signature_mismatch",
        }
    }
}

/// The header's parts: its timestamp and every `v1` signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub v1: Vec<String>,
}

/// Parses `t=...,v1=...[,v1=...]`; unknown schemes are skipped.
pub fn parse_header(header: &str) -> Result<SignatureHeader, SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed("a part is not key=value"))?;
        match key {
            "t" if timestamp.is_some() => {
                return Err(SignatureError::Malformed("more than one timestamp"));
            }
            "t" => {
                let seconds = value
                    .parse::<i64>()
                    .map_err(|_| SignatureError::Malformed("the timestamp is not a number"))?;
                timestamp = Some(seconds);
            }
            "v1" => v1.push(value.to_owned()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no timestamp"))?;
    if v1.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    Ok(SignatureHeader { timestamp, v1 })
}

/// Verifies `header` for `body`; returns the time the event was signed.
pub fn verify(
    header: &str,
    body: &[u8],
    secret: &WebhookSecret,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<DateTime<Utc>, SignatureError> {
    let parsed = parse_header(header)?;
    let seconds = now.timestamp() - parsed.timestamp;
    let limit = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if seconds.abs() > limit {
        return Err(SignatureError::OutsideTolerance {
            seconds,
            tolerance: tolerance.as_secs(),
        });
    }
    let matches = parsed.v1.iter().any(|candidate| {
        let Ok(expected) = hex::decode(candidate) else {
            return false;
        };
        let mut mac = secret.mac();
        mac.update(signed_payload(parsed.timestamp, body).as_slice());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&expected).is_ok()
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    DateTime::from_timestamp(parsed.timestamp, 0)
        .ok_or(SignatureError::Malformed("the timestamp is out of range"))
}

/// The `Stripe-Signature` value for `body` signed at `timestamp`, as Stripe
/// (and the sandbox) sends it.
pub fn sign(secret: &WebhookSecret, timestamp: i64, body: &[u8]) -> String {
    let mut mac = secret.mac();
    mac.update(signed_payload(timestamp, body).as_slice());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

fn signed_payload(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut payload = format!("{timestamp}.").into_bytes();
    payload.extend_from_slice(body);
    payload
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"payment_intent.canceled"}"#;

    fn secret() -> WebhookSecret {
        WebhookSecret::new("whsec_test_secret")
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let header = sign(&secret(), 1_700_000_000, BODY);
        assert_eq!(
            verify(
                &header,
                BODY,
                &secret(),
                at(1_700_000_100),
                DEFAULT_TOLERANCE
            ),
            Ok(at(1_700_000_000))
        );
    }

    #[test]
    fn a_known_vector_matches_the_documented_scheme() {
        // HMAC-SHA256("whsec_test_secret", "1700000000." + body), computed
        // with Python's hmac module.
        let expected = "7ec2b70fa24977cab8dcafeed113cbf29d58ceae0385621633047271259d97fc";
        assert_eq!(
            sign(&secret(), 1_700_000_000, BODY),
            format!("t=1700000000,v1={expected}")
        );
    }

    #[test]
    fn any_of_several_v1_may_match_and_other_schemes_are_ignored() {
        let good = sign(&secret(), 1_700_000_000, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t=1700000000,v0=abc,v1={},v1={v1}", "00".repeat(32));
        assert!(
            verify(
                &header,
                BODY,
                &secret(),
                at(1_700_000_000),
                DEFAULT_TOLERANCE
            )
            .is_ok()
        );
    }

    #[test]
    fn forged_altered_and_stale_events_are_refused() {
        let header = sign(&secret(), 1_700_000_000, BODY);
        let other = WebhookSecret::new("whsec_other");
        let now = at(1_700_000_000);
        assert_eq!(
            verify(&header, BODY, &other, now, DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(
                &header,
                b"{\"id\":\"evt_2\"}",
                &secret(),
                now,
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
        let late = at(1_700_000_301);
        assert!(matches!(
            verify(&header, BODY, &secret(), late, DEFAULT_TOLERANCE),
            Err(SignatureError::OutsideTolerance { seconds: 301, .. })
        ));
        assert!(
            verify(
                &header,
                BODY,
                &secret(),
                at(1_700_000_300),
                DEFAULT_TOLERANCE
            )
            .is_ok()
        );
        let early = at(1_699_999_000);
        assert!(matches!(
            verify(&header, BODY, &secret(), early, DEFAULT_TOLERANCE),
            Err(SignatureError::OutsideTolerance { .. })
        ));
        // A timestamp changed to a fresh one breaks the signature.
        let moved = header.replacen("t=1700000000", "t=1700000200", 1);
        assert_eq!(
            verify(
                &moved,
                BODY,
                &secret(),
                at(1_700_000_200),
                DEFAULT_TOLERANCE
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_say_what_is_wrong() {
        let now = at(1_700_000_000);
        for (header, code) in [
            ("", "signature_malformed"),
            ("t=1700000000", "signature_missing"),
            ("v1=abcd", "signature_malformed"),
            ("t=soon,v1=abcd", "signature_malformed"),
            ("t=1,t=2,v1=abcd", "signature_malformed"),
            ("t=1700000000,v1=not-hex", "signature_mismatch"),
        ] {
            let error = verify(header, BODY, &secret(), now, DEFAULT_TOLERANCE).unwrap_err();
            assert_eq!(error.code(), code, "{header:?}: {error}");
        }
    }

    #[test]
    fn the_secret_never_prints() {
        assert_eq!(format!("{:?}", secret()), "WebhookSecret(<redacted>)");
    }
}
