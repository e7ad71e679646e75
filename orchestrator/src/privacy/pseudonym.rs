//! Erasure pseudonyms: what an erased user's kept records (the booking,
//! the saga, the flag audit) carry instead of their user id.
//!
//! A pseudonym is `erased:` and 32 hex digits of an HMAC-SHA256, under the
//! secret [`KEY_ENV`], of the SHA-256 of the user id. The same user always
//! gets the same pseudonym (their records stay grouped), but without the
//! key nobody can tell whose records they are, even knowing the user id.
//! The erasure row keeps the whole HMAC as its `subject`
//! ([`KEYED_SUBJECT_PREFIX`]), so that with the key a user's erasure can be
//! found again.
//!
//! Erasures done before pseudonyms were keyed carry `erased:` and 16 hex
//! digits of the plain SHA-256, which anyone who knows the user id can
//! compute. Their erasure rows kept that SHA-256, so they are re-keyed
//! exactly: [`PseudonymKey::rekey`] of it is what the user's new erasure
//! would record (see `super::erasure::rekey_legacy`).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use autobook_contracts::codes::ERASED_USER_PREFIX;

/// The environment variable holding the key: base64 of at least 32 bytes.
pub const KEY_ENV: &str = "AUTOBOOK_PSEUDONYM_KEY";

/// Shortest key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 32;

/// How an erasure row's `subject` made with the key starts; a subject
/// without it is the plain SHA-256 hex of the user id (pending erasures,
/// and erasures done before keys).
pub const KEYED_SUBJECT_PREFIX: &str = "hmac:";

/// Hex digits of the HMAC a pseudonym carries (128 bits).
const PSEUDONYM_HEX: usize = 32;

/// The secret pseudonyms are keyed with. Never printed.
#[derive(Clone)]
pub struct PseudonymKey(Vec<u8>);

impl std::fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PseudonymKey(<redacted>)")
    }
}

/// Why a key was refused (the value is never repeated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PseudonymKeyError {
    #[error(
        "{KEY_ENV} is not set: the secret erasure pseudonyms are keyed with, base64 of at least {MIN_KEY_BYTES} bytes"
    )]
    Missing,
    #[error("{KEY_ENV} is not base64")]
    NotBase64,
    #[error("{KEY_ENV} must hold at least {MIN_KEY_BYTES} bytes")]
    TooShort,
}

impl PseudonymKey {
    /// A key from its base64 text (standard or URL-safe, padded or not).
    pub fn parse(text: &str) -> Result<PseudonymKey, PseudonymKeyError> {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| PseudonymKeyError::NotBase64)?;
        if bytes.len() < MIN_KEY_BYTES {
            return Err(PseudonymKeyError::TooShort);
        }
        Ok(PseudonymKey(bytes))
    }

    /// The key from [`KEY_ENV`].
    pub fn from_env() -> Result<PseudonymKey, PseudonymKeyError> {
        match std::env::var(KEY_ENV) {
            Ok(text) if !text.trim().is_empty() => PseudonymKey::parse(&text),
            _ => Err(PseudonymKeyError::Missing),
        }
    }

    /// A fresh random key (in-process stacks, tests, the demo).
    pub fn generate() -> PseudonymKey {
        use rand::RngCore;
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        PseudonymKey(bytes)
    }

    /// The key as [`KEY_ENV`] takes it, to hand to a child process.
    pub fn expose_env_value(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }

    /// The keyed subject an erasure of `user_id` records.
    pub fn subject(&self, user_id: &str) -> String {
        self.rekey(&unkeyed_subject(user_id))
    }

    /// The keyed subject of a plain one (the SHA-256 hex of a user id).
    pub fn rekey(&self, unkeyed: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(unkeyed.as_bytes());
        format!(
            "{KEYED_SUBJECT_PREFIX}{}",
            hex::encode(mac.finalize().into_bytes())
        )
    }

    /// The pseudonym of `user_id`.
    pub fn pseudonym(&self, user_id: &str) -> String {
        pseudonym_of(&self.subject(user_id))
    }
}

/// The pseudonym a keyed subject names.
pub fn pseudonym_of(keyed_subject: &str) -> String {
    let hmac = keyed_subject
        .strip_prefix(KEYED_SUBJECT_PREFIX)
        .unwrap_or(keyed_subject);
    format!(
        "{ERASED_USER_PREFIX}{}",
        &hmac[..hmac.len().min(PSEUDONYM_HEX)]
    )
}

/// The plain SHA-256 hex of a user id: the subject of a pending erasure
/// (whose row names the user anyway until it is done).
pub fn unkeyed_subject(user_id: &str) -> String {
    hex::encode(Sha256::digest(user_id.as_bytes()))
}

/// The pseudonym erasures gave before they were keyed.
pub fn legacy_pseudonym(unkeyed_subject: &str) -> String {
    format!(
        "{ERASED_USER_PREFIX}{}",
        &unkeyed_subject[..unkeyed_subject.len().min(16)]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PseudonymKey {
        PseudonymKey(vec![byte; MIN_KEY_BYTES])
    }

    #[test]
    fn a_pseudonym_is_stable_under_its_key_and_unlinkable_without_it() {
        let pseudonym = key(1).pseudonym("usr_8f14e45f");
        assert_eq!(pseudonym, key(1).pseudonym("usr_8f14e45f"));
        assert_ne!(pseudonym, key(2).pseudonym("usr_8f14e45f"));
        assert_ne!(pseudonym, key(1).pseudonym("usr_8f14e45e"));
        assert!(pseudonym.starts_with(ERASED_USER_PREFIX));
        assert_eq!(pseudonym.len(), ERASED_USER_PREFIX.len() + PSEUDONYM_HEX);
        // Not the plain hash anyone can compute from the user id.
        let plain = unkeyed_subject("usr_8f14e45f");
        assert!(!plain.contains(&pseudonym[ERASED_USER_PREFIX.len()..]));
        assert_ne!(pseudonym, legacy_pseudonym(&plain));
    }

    #[test]
    fn a_legacy_subject_rekeys_to_what_a_new_erasure_records() {
        let key = key(7);
        let plain = unkeyed_subject("usr_a");
        assert_eq!(key.rekey(&plain), key.subject("usr_a"));
        assert!(key.subject("usr_a").starts_with(KEYED_SUBJECT_PREFIX));
        assert_eq!(pseudonym_of(&key.subject("usr_a")), key.pseudonym("usr_a"));
        assert_eq!(legacy_pseudonym(&plain), format!("erased:{}", &plain[..16]));
    }

    #[test]
    fn keys_parse_from_base64_and_are_never_shown() {
        let key = PseudonymKey::generate();
        let parsed = PseudonymKey::parse(&key.expose_env_value()).unwrap();
        assert_eq!(parsed.pseudonym("u"), key.pseudonym("u"));
        assert_eq!(format!("{key:?}"), "PseudonymKey(<redacted>)");
        assert_eq!(
            PseudonymKey::parse("c2hvcnQ=").unwrap_err(),
            PseudonymKeyError::TooShort
        );
        let error = PseudonymKey::parse("not base64 at all!").unwrap_err();
        assert_eq!(error, PseudonymKeyError::NotBase64);
        assert!(!error.to_string().contains("at all"));
    }
}
