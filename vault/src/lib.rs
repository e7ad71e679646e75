//! # autobook-vault
//!
//! Encryption at rest of travellers' personal data (names, birth dates,
//! email addresses, phone numbers). Pure: no I/O; the roles seal before
//! they write and open after they read.
//!
//! - [`Keyring`]: AES-256-GCM keys parsed from `AUTOBOOK_DATA_KEYS`
//!   (`kid:base64key[,kid:base64key…]`, 32-byte keys, key ids
//!   `[A-Za-z0-9_-]{1,32}`). The first key seals; every key opens, so keys
//!   rotate: put a new key first, re-seal (`autobook ops keys rotate`),
//!   then drop the old one. [`Keyring::from_env`], [`Keyring::parse`],
//!   [`Keyring::generate`] (demo, tests), [`Keyring::active_kid`],
//!   [`Keyring::expose_env_value`] (for a child process's environment).
//!   Cloning shares the keys; `Debug` shows key ids only.
//! - [`Place`] ([`place`]): the table, field and row a value is sealed
//!   for, bound into its associated data: a value copied elsewhere does
//!   not open ([`VaultError::Misplaced`]).
//! - Text ([`text`]): `pii:v2:<kid>:<base64url(nonce ‖ ciphertext)>` with
//!   `pii:v2:<kid>` and the place as associated data:
//!   [`Keyring::seal_str`], [`Keyring::open_str`], [`is_sealed`],
//!   [`sealed_kid`].
//! - JSON ([`json`]): the string values of the [`PII_FIELDS`] keys anywhere
//!   in a document, each for its key: [`Keyring::seal_json`],
//!   [`Keyring::open_json`], [`redact_json`] (erasure: placeholders that
//!   still parse as the contract types), [`json_kids`].
//! - Bytes ([`blob`]): `\0pii:v2:<kid>:` then `nonce ‖ ciphertext`:
//!   [`Keyring::seal_bytes`], [`Keyring::open_bytes`] (bytes without the
//!   magic, written before encryption, pass through), [`blob_kid`].
//! - Message bodies ([`envelope`]): the personal fields of an envelope,
//!   sealed for their message before it is published and opened after it
//!   is received: [`Keyring::seal_envelope`], [`Keyring::open_envelope`],
//!   [`travels_sealed`].
//! - `reseal_*`: a value under the active key with its place, or `None`
//!   when it already is: what rotation writes back; [`rotation`]: what
//!   a rotation counts ([`rotation::Census`], [`rotation::Pass`]).
//! - Values sealed before values had places (`pii:v1`, no place in the
//!   associated data) open while the keyring's [`Unplaced`] policy is
//!   `open` (the default) and are refused under `refuse`
//!   (`AUTOBOOK_DATA_UNPLACED`); rotation re-seals them with their place.
//! - [`VaultError`]: unknown key id, failed authentication, misplaced,
//!   unplaced, malformed. Never carries plaintext.
//!
//! Every seal draws a fresh random 96-bit nonce, so sealing the same value
//! twice gives different text: sealed values cannot be compared or indexed.

pub mod blob;
pub mod envelope;
pub mod error;
pub mod json;
pub mod keyring;
pub mod place;
pub mod rotation;
pub mod text;

pub use blob::{blob_kid, blob_prefix, is_sealed_blob, is_unplaced_blob};
pub use envelope::{BodyError, PAYLOAD_PERSONAL_FIELDS, travels_sealed};
pub use error::{KeyringError, VaultError};
pub use json::{
    PII_FIELDS, json_holds_plaintext_pii, json_holds_unplaced, json_kids, placeholder_for,
    redact_json,
};
pub use keyring::{ENV_VAR, Keyring, UNPLACED_ENV_VAR};
pub use place::{Place, Unplaced};
pub use text::{is_sealed, is_unplaced, sealed_kid};

#[cfg(test)]
mod tests;
