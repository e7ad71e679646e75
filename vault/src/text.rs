//! Sealed text: `pii:v1:<kid>:<base64url(nonce ‖ ciphertext)>`, with
//! `pii:v1:<kid>` as associated data, so a value cannot be moved under
//! another key id. Text columns and JSON string values hold this form.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use autobook_contracts::personal::erased;

use crate::error::VaultError;
use crate::keyring::{Keyring, valid_kid};

/// What every sealed string starts with.
pub const TEXT_PREFIX: &str = "pii:v1:";

/// Whether `value` is sealed text (or claims to be).
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(TEXT_PREFIX)
}

/// The key id `value` is sealed under; `None` for text that is not sealed
/// or whose key id is malformed.
pub fn sealed_kid(value: &str) -> Option<&str> {
    let (kid, _) = value.strip_prefix(TEXT_PREFIX)?.split_once(':')?;
    valid_kid(kid).then_some(kid)
}

fn text_aad(kid: &str) -> Vec<u8> {
    format!("{TEXT_PREFIX}{kid}").into_bytes()
}

impl Keyring {
    /// Seals `plaintext` under the active key.
    pub fn seal_str(&self, plaintext: &str) -> String {
        let (kid, sealed) = self.encrypt(&text_aad, plaintext.as_bytes());
        format!("{TEXT_PREFIX}{kid}:{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens sealed text. Text that is not sealed (an erased placeholder,
    /// a value written before encryption) is returned as it is.
    pub fn open_str(&self, value: &str) -> Result<String, VaultError> {
        let Some(rest) = value.strip_prefix(TEXT_PREFIX) else {
            return Ok(value.to_owned());
        };
        let (kid, encoded) = rest
            .split_once(':')
            .ok_or(VaultError::Malformed("no key id"))?;
        if !valid_kid(kid) {
            return Err(VaultError::Malformed("invalid key id"));
        }
        let sealed = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| VaultError::Malformed("not base64url"))?;
        let plaintext = self.decrypt(kid, &text_aad(kid), &sealed)?;
        String::from_utf8(plaintext).map_err(|_| VaultError::Malformed("not UTF-8"))
    }

    /// `value` sealed under the active key: `None` when it already is (or
    /// is an erasure placeholder), otherwise opened (if sealed under
    /// another key) and sealed again.
    pub fn reseal_str(&self, value: &str) -> Result<Option<String>, VaultError> {
        if sealed_kid(value) == Some(self.active_kid()) || erased::is_placeholder(value) {
            return Ok(None);
        }
        Ok(Some(self.seal_str(&self.open_str(value)?)))
    }
}
