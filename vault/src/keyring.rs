//! The keys: parsed from `AUTOBOOK_DATA_KEYS`, the first one active.
//!
//! `AUTOBOOK_DATA_KEYS=k2:<base64 of 32 bytes>,k1:<base64 of 32 bytes>`
//! seals under `k2` and still opens what `k1` sealed. Rotation is: put a new
//! key first, run `autobook ops keys rotate`, then drop the old one.

use std::fmt;
use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;

use crate::error::{KeyringError, VaultError};
use crate::place::Unplaced;

/// The environment variable holding the keyring.
pub const ENV_VAR: &str = "AUTOBOOK_DATA_KEYS";
/// The environment variable saying what to do with values sealed without
/// their place (`open` or `refuse`, see [`Unplaced`]).
pub const UNPLACED_ENV_VAR: &str = "AUTOBOOK_DATA_UNPLACED";
/// Bytes in a key (AES-256).
pub const KEY_LEN: usize = 32;
/// Bytes in a nonce (96 bits, AES-GCM's native size).
pub const NONCE_LEN: usize = 12;
/// Longest key id.
pub const MAX_KID_LEN: usize = 32;

/// Whether `kid` is a valid key id: 1 to 32 of `[A-Za-z0-9_-]`.
pub fn valid_kid(kid: &str) -> bool {
    (1..=MAX_KID_LEN).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

struct DataKey {
    kid: String,
    bytes: [u8; KEY_LEN],
    cipher: Aes256Gcm,
}

/// The keys personal data is sealed under. The first seals; all open.
/// Cloning shares the keys. `Debug` shows key ids only.
#[derive(Clone)]
pub struct Keyring {
    keys: Arc<[DataKey]>,
    unplaced: Unplaced,
}

impl Keyring {
    /// Reads `AUTOBOOK_DATA_KEYS` and `AUTOBOOK_DATA_UNPLACED` (unset:
    /// `open`).
    pub fn from_env() -> Result<Keyring, KeyringError> {
        let keyring = match std::env::var(ENV_VAR) {
            Ok(value) => Keyring::parse(&value)?,
            Err(_) => return Err(KeyringError::Missing),
        };
        let unplaced = match std::env::var(UNPLACED_ENV_VAR) {
            Ok(value) => Unplaced::parse(&value).ok_or(KeyringError::BadUnplaced)?,
            Err(_) => Unplaced::default(),
        };
        Ok(keyring.with_unplaced(unplaced))
    }

    /// The same keys, treating values sealed without their place as
    /// `unplaced` says.
    pub fn with_unplaced(mut self, unplaced: Unplaced) -> Keyring {
        self.unplaced = unplaced;
        self
    }

    /// What this keyring does with values sealed without their place.
    pub fn unplaced(&self) -> Unplaced {
        self.unplaced
    }

    /// Parses `kid:base64key[,kid:base64key…]` (standard or URL-safe
    /// base64); whitespace around entries is ignored.
    pub fn parse(value: &str) -> Result<Keyring, KeyringError> {
        let mut keys: Vec<DataKey> = Vec::new();
        let entries = value.split(',').map(str::trim).filter(|e| !e.is_empty());
        for (index, entry) in entries.enumerate() {
            let position = index + 1;
            let (kid, encoded) = entry
                .split_once(':')
                .ok_or(KeyringError::NotAnEntry { position })?;
            if !valid_kid(kid) {
                return Err(KeyringError::BadKeyId { position });
            }
            if keys.iter().any(|k| k.kid == kid) {
                return Err(KeyringError::DuplicateKeyId { kid: kid.into() });
            }
            let bytes =
                decode_key(encoded).ok_or_else(|| KeyringError::BadKey { kid: kid.into() })?;
            keys.push(DataKey::new(kid.into(), bytes));
        }
        if keys.is_empty() {
            return Err(KeyringError::Empty);
        }
        Ok(Keyring {
            keys: keys.into(),
            unplaced: Unplaced::default(),
        })
    }

    /// A keyring of one fresh random key (demo and tests).
    pub fn generate(kid: &str) -> Result<Keyring, KeyringError> {
        if !valid_kid(kid) {
            return Err(KeyringError::BadKeyId { position: 1 });
        }
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        Ok(Keyring {
            keys: vec![DataKey::new(kid.into(), bytes)].into(),
            unplaced: Unplaced::default(),
        })
    }

    /// This keyring's keys followed by those of `older` not already here:
    /// the shape of a keyring during rotation (`[new, old]`). Unplaced
    /// values are treated as this keyring treats them.
    pub fn followed_by(&self, older: &Keyring) -> Keyring {
        let mut keys: Vec<DataKey> = self.keys.iter().map(DataKey::copy).collect();
        for key in older.keys.iter() {
            if !keys.iter().any(|k| k.kid == key.kid) {
                keys.push(key.copy());
            }
        }
        Keyring {
            keys: keys.into(),
            unplaced: self.unplaced,
        }
    }

    /// The id of the key that seals.
    pub fn active_kid(&self) -> &str {
        &self.keys[0].kid
    }

    /// Every key id, the active one first.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// Whether this keyring can open what `kid` sealed.
    pub fn holds(&self, kid: &str) -> bool {
        self.key(kid).is_some()
    }

    /// The keyring as `AUTOBOOK_DATA_KEYS` takes it, to hand to a child
    /// process. A secret: never print or log it.
    pub fn expose_env_value(&self) -> String {
        self.keys
            .iter()
            .map(|k| format!("{}:{}", k.kid, STANDARD.encode(k.bytes)))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn key(&self, kid: &str) -> Option<&DataKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Encrypts `plaintext` under the active key with `aad` bound to it;
    /// returns the active key id and `nonce ‖ ciphertext`.
    pub(crate) fn encrypt(
        &self,
        aad: &dyn Fn(&str) -> Vec<u8>,
        plaintext: &[u8],
    ) -> (&str, Vec<u8>) {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let aad = aad(&key.kid);
        let sealed = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // AES-GCM refuses only inputs over 64 GiB; nothing stored is
            // near that.
            .expect("AES-256-GCM seals any input under 64 GiB");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        (&key.kid, out)
    }

    /// Decrypts `nonce ‖ ciphertext` sealed under `kid` with `aad`.
    pub(crate) fn decrypt(
        &self,
        kid: &str,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let key = self
            .key(kid)
            .ok_or_else(|| VaultError::UnknownKey { kid: kid.into() })?;
        if sealed.len() < NONCE_LEN + 16 {
            return Err(VaultError::Malformed("shorter than a nonce and a tag"));
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| VaultError::Malformed("shorter than a nonce"))?;
        key.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| VaultError::Authentication { kid: kid.into() })
    }
}

impl DataKey {
    fn new(kid: String, bytes: [u8; KEY_LEN]) -> DataKey {
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(bytes));
        DataKey { kid, bytes, cipher }
    }

    fn copy(&self) -> DataKey {
        DataKey::new(self.kid.clone(), self.bytes)
    }
}

fn decode_key(encoded: &str) -> Option<[u8; KEY_LEN]> {
    let encoded = encoded.trim();
    let bytes = STANDARD
        .decode(encoded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')))
        .ok()?;
    bytes.try_into().ok()
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active_kid())
            .field("kids", &self.kids().collect::<Vec<_>>())
            .field("unplaced", &self.unplaced.as_str())
            .finish()
    }
}
