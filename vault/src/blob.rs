//! Sealed bytes: `\0pii:v2:<kid>:` then `nonce ‖ ciphertext`, with the
//! header up to the key id and the blob's place (table, field, row) as
//! associated data. Encoded envelopes and stored replies start with `{`,
//! never with a NUL, so bytes written before encryption are told apart and
//! pass through [`Keyring::open_bytes`].
//!
//! `\0pii:v1:<kid>:` blobs, sealed before blobs had places, still open
//! unless the keyring refuses them ([`crate::Unplaced`]).

use std::borrow::Cow;

use crate::error::VaultError;
use crate::keyring::{Keyring, MAX_KID_LEN, valid_kid};
use crate::place::{Place, Unplaced};
use crate::text::Version;

/// What every blob sealed with its place starts with.
pub const BLOB_MAGIC: &[u8] = b"\0pii:v2:";
/// What blobs sealed without place (by earlier builds) start with.
pub const BLOB_MAGIC_V1: &[u8] = b"\0pii:v1:";

/// Whether `bytes` is a sealed blob (or claims to be), with or without place.
pub fn is_sealed_blob(bytes: &[u8]) -> bool {
    bytes.starts_with(BLOB_MAGIC) || bytes.starts_with(BLOB_MAGIC_V1)
}

/// A sealed blob's version, key id and `nonce ‖ ciphertext`.
type Parts<'a> = (Version, &'a str, &'a [u8]);

/// Splits a sealed blob into its parts; `None` for bytes that do not claim
/// to be sealed.
fn split(bytes: &[u8]) -> Option<Result<Parts<'_>, VaultError>> {
    let (version, rest) = match (
        bytes.strip_prefix(BLOB_MAGIC),
        bytes.strip_prefix(BLOB_MAGIC_V1),
    ) {
        (Some(rest), _) => (Version::V2, rest),
        (None, Some(rest)) => (Version::V1, rest),
        (None, None) => return None,
    };
    let window = &rest[..rest.len().min(MAX_KID_LEN + 1)];
    let Some(colon) = window.iter().position(|&b| b == b':') else {
        return Some(Err(VaultError::Malformed("no key id")));
    };
    let kid = std::str::from_utf8(&rest[..colon])
        .ok()
        .filter(|kid| valid_kid(kid));
    Some(match kid {
        Some(kid) => Ok((version, kid, &rest[colon + 1..])),
        None => Err(VaultError::Malformed("invalid key id")),
    })
}

/// The key id a blob is sealed under; `None` for plain bytes or a
/// malformed header.
pub fn blob_kid(bytes: &[u8]) -> Option<&str> {
    split(bytes)?.ok().map(|(_, kid, _)| kid)
}

/// Whether a blob (or its head) was sealed without its place.
pub fn is_unplaced_blob(bytes: &[u8]) -> bool {
    matches!(split(bytes), Some(Ok((Version::V1, _, _))))
}

/// What every blob sealed with its place under `kid` starts with (to find,
/// in SQL, the rows a rotation must visit).
pub fn blob_prefix(kid: &str) -> Vec<u8> {
    [BLOB_MAGIC, kid.as_bytes(), b":"].concat()
}

fn tag(version: Version, kid: &str) -> Vec<u8> {
    let magic = match version {
        Version::V1 => BLOB_MAGIC_V1,
        Version::V2 => BLOB_MAGIC,
    };
    [magic, kid.as_bytes()].concat()
}

impl Keyring {
    /// Seals `plaintext` under the active key for `field` of `place`.
    pub fn seal_bytes(&self, plaintext: &[u8], place: &Place, field: &'static str) -> Vec<u8> {
        let aad = |kid: &str| place.aad(&tag(Version::V2, kid), field);
        let (kid, sealed) = self.encrypt(&aad, plaintext);
        [BLOB_MAGIC, kid.as_bytes(), b":", &sealed].concat()
    }

    /// Opens a sealed blob found at `field` of `place`; bytes without the
    /// magic (rows written before encryption) are returned unchanged.
    pub fn open_bytes<'a>(
        &self,
        bytes: &'a [u8],
        place: &Place,
        field: &'static str,
    ) -> Result<Cow<'a, [u8]>, VaultError> {
        let Some(parts) = split(bytes) else {
            return Ok(Cow::Borrowed(bytes));
        };
        let (version, kid, sealed) = parts?;
        let tag = tag(version, kid);
        let opened = match version {
            Version::V2 => self
                .decrypt(kid, &place.aad(&tag, field), sealed)
                .map_err(|e| e.misplaced(place, field))?,
            Version::V1 if self.unplaced() == Unplaced::Refuse => {
                return Err(VaultError::Unplaced { kid: kid.into() });
            }
            Version::V1 => self.decrypt(kid, &tag, sealed)?,
        };
        Ok(Cow::Owned(opened))
    }

    /// `bytes` sealed under the active key with their place: `None` when
    /// they already are, otherwise opened (if sealed under another key, or
    /// without place) and sealed again.
    pub fn reseal_bytes(
        &self,
        bytes: &[u8],
        place: &Place,
        field: &'static str,
    ) -> Result<Option<Vec<u8>>, VaultError> {
        if bytes.starts_with(&blob_prefix(self.active_kid())) {
            return Ok(None);
        }
        let opened = self.open_bytes(bytes, place, field)?;
        Ok(Some(self.seal_bytes(&opened, place, field)))
    }
}
