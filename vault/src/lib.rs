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
//! - Text ([`text`]): `pii:v1:<kid>:<base64url(nonce ‖ ciphertext)>` with
//!   `pii:v1:<kid>` as associated data: [`Keyring::seal_str`],
//!   [`Keyring::open_str`], [`is_sealed`], [`sealed_kid`].
//! - JSON ([`json`]): the string values of the [`PII_FIELDS`] keys anywhere
//!   in a document: [`Keyring::seal_json`], [`Keyring::open_json`],
//!   [`redact_json`] (erasure: placeholders that still parse as the
//!   contract types), [`json_kids`].
//! - Bytes ([`blob`]): `\0pii:v1:<kid>:` then `nonce ‖ ciphertext`:
//!   [`Keyring::seal_bytes`], [`Keyring::open_bytes`] (bytes without the
//!   magic, written before encryption, pass through), [`blob_kid`].
//! - `reseal_*`: a value under the active key, or `None` when it already
//!   is: what rotation writes back.
//! - [`VaultError`]: unknown key id, failed authentication, malformed.
//!   Never carries plaintext.
//!
//! Every seal draws a fresh random 96-bit nonce, so sealing the same value
//! twice gives different text: sealed values cannot be compared or indexed.

pub mod blob;
pub mod error;
pub mod json;
pub mod keyring;
pub mod text;

pub use blob::{blob_kid, blob_prefix, is_sealed_blob};
pub use error::{KeyringError, VaultError};
pub use json::{PII_FIELDS, json_holds_plaintext_pii, json_kids, placeholder_for, redact_json};
pub use keyring::{ENV_VAR, Keyring};
pub use text::{is_sealed, sealed_kid};

#[cfg(test)]
mod tests;
