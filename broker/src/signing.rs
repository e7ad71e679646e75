//! Signed messages. Every message carries, in its `x-autobook-signature`
//! header, `v1=<kid>:<hex>`: the HMAC-SHA256, under the message key `kid`,
//! of
//!
//! ```text
//! "autobook-message-v1\n" ‖ sender ‖ "\n" ‖ body
//! ```
//!
//! where `sender` is the broker user that first sent it (`autobook-payment`)
//! and `body` the exact bytes of the message (the envelope, which holds the
//! message id, type, saga, causation and payload). The keys come from
//! `AUTOBOOK_MESSAGE_KEYS=kid:base64key[,kid:base64key…]` (32-byte keys):
//! the first signs, every listed one verifies. A broker credential alone
//! cannot forge a message; the keys live only in our roles' environment.
//!
//! Rotation: add the new key second everywhere (it verifies), restart;
//! move it first (it signs), restart; drop the old one once no message
//! signed with it waits in a queue (a dead letter signed with a dropped key
//! can no longer be replayed).

use std::fmt;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The environment variable holding the message keys.
pub const ENV_VAR: &str = "AUTOBOOK_MESSAGE_KEYS";
/// Bytes in a key.
pub const KEY_LEN: usize = 32;
/// Longest key id.
pub const MAX_KID_LEN: usize = 32;
/// What the signed text starts with (and the header's version).
const DOMAIN: &[u8] = b"autobook-message-v1\n";
const VERSION: &str = "v1=";

struct MessageKey {
    kid: String,
    bytes: [u8; KEY_LEN],
}

/// The keys messages are signed and verified with. The first signs; all
/// verify. Cloning shares the keys. `Debug` shows key ids only.
#[derive(Clone)]
pub struct MessageKeys {
    keys: Arc<[MessageKey]>,
}

impl fmt::Debug for MessageKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageKeys")
            .field("kids", &self.kids().collect::<Vec<_>>())
            .finish()
    }
}

/// `AUTOBOOK_MESSAGE_KEYS` is unusable. Names positions and key ids,
/// never key bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageKeysError {
    #[error("AUTOBOOK_MESSAGE_KEYS holds no key")]
    Empty,
    #[error("AUTOBOOK_MESSAGE_KEYS entry {position} is not `kid:base64key`")]
    NotAnEntry { position: usize },
    #[error(
        "AUTOBOOK_MESSAGE_KEYS entry {position}: a key id is 1 to 32 of A-Z, a-z, 0-9, _ and -"
    )]
    BadKeyId { position: usize },
    #[error("AUTOBOOK_MESSAGE_KEYS entry {position}: the key is not base64 of 32 bytes")]
    BadKey { position: usize },
    #[error("AUTOBOOK_MESSAGE_KEYS entry {position}: its key id appears twice")]
    DuplicateKeyId { position: usize },
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the message is not signed (no x-autobook-signature header)")]
    Missing,
    #[error("the message's signature is not `v1=<kid>:<hex>`")]
    Malformed,
    #[error("the message is signed with a key this role does not hold")]
    UnknownKey,
    #[error("the message's signature does not match its sender and body")]
    Mismatch,
}

impl SignatureError {
    /// The dead-letter code: `unsigned` or `bad_signature`.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "unsigned",
            SignatureError::Malformed | SignatureError::UnknownKey | SignatureError::Mismatch => {
                "bad_signature"
            }
        }
    }
}

fn valid_kid(kid: &str) -> bool {
    (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn decode_key(encoded: &str) -> Option<[u8; KEY_LEN]> {
    let bytes = STANDARD
        .decode(encoded.trim())
        .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim()))
        .ok()?;
    bytes.try_into().ok()
}

impl MessageKeys {
    /// Parses `kid:base64key[,kid:base64key…]` (standard or URL-safe
    /// base64); whitespace around entries is ignored.
    pub fn parse(value: &str) -> Result<MessageKeys, MessageKeysError> {
        let mut keys: Vec<MessageKey> = Vec::new();
        let entries = value.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let (kid, encoded) = entry
                .split_once(':')
                .ok_or(MessageKeysError::NotAnEntry { position })?;
            if !valid_kid(kid) {
                return Err(MessageKeysError::BadKeyId { position });
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(MessageKeysError::DuplicateKeyId { position });
            }
            let bytes = decode_key(encoded).ok_or(MessageKeysError::BadKey { position })?;
            keys.push(MessageKey {
                kid: kid.to_owned(),
                bytes,
            });
        }
        if keys.is_empty() {
            return Err(MessageKeysError::Empty);
        }
        Ok(MessageKeys { keys: keys.into() })
    }

    /// One fresh random key (the demo and tests).
    pub fn generate(kid: &str) -> Result<MessageKeys, MessageKeysError> {
        if !valid_kid(kid) {
            return Err(MessageKeysError::BadKeyId { position: 1 });
        }
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Ok(MessageKeys {
            keys: vec![MessageKey {
                kid: kid.to_owned(),
                bytes,
            }]
            .into(),
        })
    }

    /// The id of the key that signs.
    pub fn signing_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// Every key id, the signing one first.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// The keys as `AUTOBOOK_MESSAGE_KEYS` takes them, to hand to a child
    /// process. A secret: never print or log it.
    pub fn expose_env_value(&self) -> String {
        self.keys
            .iter()
            .map(|k| format!("{}:{}", k.kid, STANDARD.encode(k.bytes)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The signature header's value for `body` first sent by `sender`.
    pub fn sign(&self, sender: &str, body: &[u8]) -> String {
        let key = &self.keys[0];
        let tag = mac(&key.bytes, sender, body).finalize().into_bytes();
        format!("{VERSION}{}:{}", key.kid, hex::encode(tag))
    }

    /// Checks `signature` (the header's value, if any) against `sender`
    /// and `body`, in constant time.
    pub fn verify(
        &self,
        signature: Option<&str>,
        sender: &str,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        let signature = signature.ok_or(SignatureError::Missing)?;
        let (kid, tag) = signature
            .strip_prefix(VERSION)
            .and_then(|rest| rest.split_once(':'))
            .ok_or(SignatureError::Malformed)?;
        let tag = hex::decode(tag).map_err(|_| SignatureError::Malformed)?;
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(SignatureError::UnknownKey)?;
        mac(&key.bytes, sender, body)
            .verify_slice(&tag)
            .map_err(|_| SignatureError::Mismatch)
    }
}

fn mac(key: &[u8; KEY_LEN], sender: &str, body: &[u8]) -> Hmac<Sha256> {
    // An HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(DOMAIN);
    mac.update(sender.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> MessageKeys {
        MessageKeys::parse(text).unwrap()
    }

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=";

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let keys = keys(K1);
        let signature = keys.sign("autobook-orchestrator", b"{\"a\":1}");
        assert!(signature.starts_with("v1=k1:"));
        assert_eq!(
            keys.verify(Some(&signature), "autobook-orchestrator", b"{\"a\":1}"),
            Ok(())
        );
        assert_eq!(
            keys.verify(Some(&signature), "autobook-orchestrator", b"{\"a\":2}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            keys.verify(Some(&signature), "autobook-notify", b"{\"a\":1}"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_mac_is_the_documented_hmac() {
        // HMAC-SHA256(key, "autobook-message-v1\n" + sender + "\n" + body),
        // computed independently with `openssl dgst -sha256 -mac HMAC`.
        let signature = keys(K1).sign("autobook-publisher", b"{}");
        assert_eq!(
            signature,
            "v1=k1:6ed891ebad7f34bc031eecd002d4f0884b2fd600cbe9c108a875cabef77f4aec"
        );
    }

    #[test]
    fn missing_malformed_and_unknown_signatures_are_told_apart() {
        let keys = keys(K1);
        let other = MessageKeys::parse(K2).unwrap().sign("s", b"b");
        let cases = [
            (None, SignatureError::Missing, "unsigned"),
            (Some("k1:00"), SignatureError::Malformed, "bad_signature"),
            (Some("v1=k1:zz"), SignatureError::Malformed, "bad_signature"),
            (Some("v1=k1"), SignatureError::Malformed, "bad_signature"),
            (
                Some(other.as_str()),
                SignatureError::UnknownKey,
                "bad_signature",
            ),
            (Some("v1=k1:00"), SignatureError::Mismatch, "bad_signature"),
        ];
        for (header, error, code) in cases {
            assert_eq!(keys.verify(header, "s", b"b"), Err(error), "{header:?}");
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn the_first_key_signs_and_every_key_verifies() {
        let old = keys(K1);
        let rotating = keys(&format!("{K2},{K1}"));
        assert_eq!(rotating.signing_kid(), "k2");
        let by_old = old.sign("s", b"b");
        assert_eq!(rotating.verify(Some(&by_old), "s", b"b"), Ok(()));
        let by_new = rotating.sign("s", b"b");
        assert!(by_new.starts_with("v1=k2:"));
        assert_eq!(
            old.verify(Some(&by_new), "s", b"b"),
            Err(SignatureError::UnknownKey)
        );
    }

    #[test]
    fn bad_key_lists_are_refused_without_quoting_keys() {
        let secretish = "k1:c2VjcmV0";
        let error = MessageKeys::parse(secretish).unwrap_err();
        assert_eq!(error, MessageKeysError::BadKey { position: 1 });
        assert!(!error.to_string().contains("c2VjcmV0"));
        let refused = |text: &str| MessageKeys::parse(text).unwrap_err();
        assert_eq!(refused(""), MessageKeysError::Empty);
        assert_eq!(
            refused("nokey"),
            MessageKeysError::NotAnEntry { position: 1 }
        );
        assert_eq!(
            refused(&format!("{K1},{K1}")),
            MessageKeysError::DuplicateKeyId { position: 2 }
        );
        assert_eq!(
            refused("bad kid:AAAA"),
            MessageKeysError::BadKeyId { position: 1 }
        );
        let debug = format!("{:?}", keys(K1));
        assert!(debug.contains("k1") && !debug.contains("AAECAw"));
        assert_eq!(
            keys(&keys(K1).expose_env_value()).sign("s", b"b"),
            keys(K1).sign("s", b"b")
        );
    }
}
