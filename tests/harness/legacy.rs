//! Values as earlier builds sealed them: `pii:v1`, AES-256-GCM under the
//! keyring's active key with only the tag (`pii:v1:<kid>`, or
//! `\0pii:v1:<kid>` for bytes) as associated data, no place. To prove they
//! still open, are refused on demand, and are placed by a rotation.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use uuid::Uuid;

use autobook_vault::{Keyring, PII_FIELDS, is_sealed};

/// The active key id and key.
fn active(keyring: &Keyring) -> (String, Aes256Gcm) {
    let env = keyring.expose_env_value();
    let (kid, key) = env.split(',').next().unwrap().split_once(':').unwrap();
    let key: [u8; 32] = STANDARD.decode(key).unwrap().try_into().unwrap();
    (kid.to_owned(), Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)))
}

/// `nonce ‖ ciphertext` with `aad`.
fn encrypt(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; 12] = Uuid::new_v4().as_bytes()[..12].try_into().unwrap();
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .unwrap();
    [&nonce[..], &sealed].concat()
}

/// Text sealed without place.
pub fn seal_str_v1(keyring: &Keyring, plaintext: &str) -> String {
    let (kid, cipher) = active(keyring);
    let sealed = encrypt(
        &cipher,
        format!("pii:v1:{kid}").as_bytes(),
        plaintext.as_bytes(),
    );
    format!("pii:v1:{kid}:{}", URL_SAFE_NO_PAD.encode(sealed))
}

/// Bytes sealed without place.
pub fn seal_bytes_v1(keyring: &Keyring, plaintext: &[u8]) -> Vec<u8> {
    let (kid, cipher) = active(keyring);
    let sealed = encrypt(&cipher, format!("\0pii:v1:{kid}").as_bytes(), plaintext);
    [format!("\0pii:v1:{kid}:").as_bytes(), &sealed].concat()
}

/// A document whose plaintext personal-data values are sealed without place.
pub fn seal_json_v1(keyring: &Keyring, value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, child)| {
                    let sealed = match child {
                        Value::String(text)
                            if PII_FIELDS.contains(&key.as_str()) && !is_sealed(text) =>
                        {
                            Value::String(seal_str_v1(keyring, text))
                        }
                        other => seal_json_v1(keyring, other),
                    };
                    (key.clone(), sealed)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| seal_json_v1(keyring, v)).collect())
        }
        other => other.clone(),
    }
}
