//! Sealed text: `pii:v2:<kid>:<base64url(nonce ‖ ciphertext)>`, with
//! `pii:v2:<kid>` and the value's place (table, field, row) as associated
//! data, so a value cannot be moved under another key id nor into another
//! row or field. Text columns and JSON string values hold this form.
//!
//! `pii:v1:<kid>:…` values, sealed before values had places (associated
//! data `pii:v1:<kid>` only), still open unless the keyring refuses them
//! ([`crate::Unplaced`]); re-sealing them writes `v2`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use autobook_contracts::personal::erased;

use crate::error::VaultError;
use crate::keyring::{Keyring, valid_kid};
use crate::place::{Place, Unplaced};

/// What every sealed string starts with (then the version).
pub const TEXT_PREFIX: &str = "pii:";
/// Sealed with its place: what this build writes.
pub const TEXT_V2: &str = "pii:v2:";
/// Sealed without a place, by earlier builds.
pub const TEXT_V1: &str = "pii:v1:";

/// The format of a sealed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// No place in the associated data.
    V1,
    /// The place in the associated data.
    V2,
}

/// The version, key id and encoded rest of sealed text; `None` for text
/// that does not claim to be sealed.
fn split(value: &str) -> Option<Result<(Version, &str, &str), VaultError>> {
    let (version, rest) = match (value.strip_prefix(TEXT_V2), value.strip_prefix(TEXT_V1)) {
        (Some(rest), _) => (Version::V2, rest),
        (None, Some(rest)) => (Version::V1, rest),
        (None, None) => return None,
    };
    Some(match rest.split_once(':') {
        None => Err(VaultError::Malformed("no key id")),
        Some((kid, _)) if !valid_kid(kid) => Err(VaultError::Malformed("invalid key id")),
        Some((kid, encoded)) => Ok((version, kid, encoded)),
    })
}

/// Whether `value` is sealed text (or claims to be), with or without place.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(TEXT_V2) || value.starts_with(TEXT_V1)
}

/// The key id `value` is sealed under; `None` for text that is not sealed
/// or whose key id is malformed.
pub fn sealed_kid(value: &str) -> Option<&str> {
    split(value)?.ok().map(|(_, kid, _)| kid)
}

/// Whether `value` was sealed without its place (`pii:v1`).
pub fn is_unplaced(value: &str) -> bool {
    matches!(split(value), Some(Ok((Version::V1, _, _))))
}

fn tag(version: Version, kid: &str) -> String {
    match version {
        Version::V1 => format!("{TEXT_V1}{kid}"),
        Version::V2 => format!("{TEXT_V2}{kid}"),
    }
}

impl Keyring {
    /// Seals `plaintext` under the active key for `field` of `place`.
    pub fn seal_str(&self, plaintext: &str, place: &Place, field: &'static str) -> String {
        let aad = |kid: &str| place.aad(tag(Version::V2, kid).as_bytes(), field);
        let (kid, sealed) = self.encrypt(&aad, plaintext.as_bytes());
        format!("{TEXT_V2}{kid}:{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// Opens sealed text found at `field` of `place`. Text that is not
    /// sealed (an erased placeholder, a value written before encryption) is
    /// returned as it is.
    pub fn open_str(
        &self,
        value: &str,
        place: &Place,
        field: &'static str,
    ) -> Result<String, VaultError> {
        let Some(parts) = split(value) else {
            return Ok(value.to_owned());
        };
        let (version, kid, encoded) = parts?;
        let sealed = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| VaultError::Malformed("not base64url"))?;
        let tag = tag(version, kid);
        let plaintext = match version {
            Version::V2 => self
                .decrypt(kid, &place.aad(tag.as_bytes(), field), &sealed)
                .map_err(|e| e.misplaced(place, field))?,
            Version::V1 if self.unplaced() == Unplaced::Refuse => {
                return Err(VaultError::Unplaced { kid: kid.into() });
            }
            Version::V1 => self.decrypt(kid, tag.as_bytes(), &sealed)?,
        };
        String::from_utf8(plaintext).map_err(|_| VaultError::Malformed("not UTF-8"))
    }

    /// `value` sealed under the active key with its place: `None` when it
    /// already is (or is an erasure placeholder), otherwise opened (if
    /// sealed under another key, or without place) and sealed again.
    pub fn reseal_str(
        &self,
        value: &str,
        place: &Place,
        field: &'static str,
    ) -> Result<Option<String>, VaultError> {
        let current =
            matches!(split(value), Some(Ok((Version::V2, kid, _))) if kid == self.active_kid());
        if current || erased::is_placeholder(value) {
            return Ok(None);
        }
        let plaintext = self.open_str(value, place, field)?;
        Ok(Some(self.seal_str(&plaintext, place, field)))
    }
}

impl VaultError {
    /// A failed authentication of a value sealed with its place, reported
    /// as the place it did not open at.
    pub(crate) fn misplaced(self, place: &Place, field: &'static str) -> VaultError {
        match self {
            VaultError::Authentication { kid } => VaultError::Misplaced {
                kid,
                table: place.table(),
                field,
            },
            other => other,
        }
    }
}
