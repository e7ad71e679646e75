//! Sealed bytes: `\0pii:v1:<kid>:` then `nonce ‖ ciphertext`, with the
//! header up to the key id as associated data. Encoded envelopes and stored
//! replies start with `{`, never with a NUL, so bytes written before
//! encryption are told apart and pass through [`Keyring::open_bytes`].

use std::borrow::Cow;

use crate::error::VaultError;
use crate::keyring::{Keyring, MAX_KID_LEN, valid_kid};

/// What every sealed blob starts with.
pub const BLOB_MAGIC: &[u8] = b"\0pii:v1:";

/// Whether `bytes` is a sealed blob (or claims to be).
pub fn is_sealed_blob(bytes: &[u8]) -> bool {
    bytes.starts_with(BLOB_MAGIC)
}

/// Splits a sealed blob into key id and `nonce ‖ ciphertext`.
fn split(bytes: &[u8]) -> Option<Result<(&str, &[u8]), VaultError>> {
    let rest = bytes.strip_prefix(BLOB_MAGIC)?;
    let window = &rest[..rest.len().min(MAX_KID_LEN + 1)];
    let Some(colon) = window.iter().position(|&b| b == b':') else {
        return Some(Err(VaultError::Malformed("no key id")));
    };
    let kid = std::str::from_utf8(&rest[..colon])
        .ok()
        .filter(|kid| valid_kid(kid));
    Some(match kid {
        Some(kid) => Ok((kid, &rest[colon + 1..])),
        None => Err(VaultError::Malformed("invalid key id")),
    })
}

/// The key id a blob is sealed under; `None` for plain bytes or a
/// malformed header.
pub fn blob_kid(bytes: &[u8]) -> Option<&str> {
    split(bytes)?.ok().map(|(kid, _)| kid)
}

/// What every blob sealed under `kid` starts with (to find, in SQL, the
/// rows a rotation must visit).
pub fn blob_prefix(kid: &str) -> Vec<u8> {
    [BLOB_MAGIC, kid.as_bytes(), b":"].concat()
}

fn blob_aad(kid: &str) -> Vec<u8> {
    [BLOB_MAGIC, kid.as_bytes()].concat()
}

impl Keyring {
    /// Seals `plaintext` under the active key.
    pub fn seal_bytes(&self, plaintext: &[u8]) -> Vec<u8> {
        let (kid, sealed) = self.encrypt(&blob_aad, plaintext);
        [BLOB_MAGIC, kid.as_bytes(), b":", &sealed].concat()
    }

    /// Opens a sealed blob; bytes without the magic (rows written before
    /// encryption) are returned unchanged.
    pub fn open_bytes<'a>(&self, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>, VaultError> {
        match split(bytes) {
            None => Ok(Cow::Borrowed(bytes)),
            Some(parts) => {
                let (kid, sealed) = parts?;
                Ok(Cow::Owned(self.decrypt(kid, &blob_aad(kid), sealed)?))
            }
        }
    }

    /// `bytes` sealed under the active key: `None` when they already are,
    /// otherwise opened (if sealed under another key) and sealed again.
    pub fn reseal_bytes(&self, bytes: &[u8]) -> Result<Option<Vec<u8>>, VaultError> {
        if blob_kid(bytes) == Some(self.active_kid()) {
            return Ok(None);
        }
        Ok(Some(self.seal_bytes(&self.open_bytes(bytes)?)))
    }
}
