//! What can go wrong opening a sealed value or reading a keyring. No
//! message ever carries plaintext or key material: only key ids, which are
//! validated before they are quoted.

/// A sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// Sealed under a key this keyring does not hold (retired too early, or
    /// the wrong `AUTOBOOK_DATA_KEYS`).
    #[error("sealed under key id {kid:?}, which the keyring does not hold")]
    UnknownKey { kid: String },
    /// The ciphertext, nonce or key id was altered, or the key under that id
    /// is not the one that sealed it (a value sealed without its place).
    #[error("sealed value under key id {kid:?} failed authentication")]
    Authentication { kid: String },
    /// A value sealed with its place does not open here: it was sealed for
    /// another row, field or table (copied), or altered, or under another
    /// key with the same id. Names the place asked for, never the row.
    #[error(
        "sealed value under key id {kid:?} does not open as {table}.{field} of this row: \
         it was sealed for another place, or altered"
    )]
    Misplaced {
        kid: String,
        table: &'static str,
        field: &'static str,
    },
    /// A value sealed before values had places (`pii:v1`), and this keyring
    /// refuses those (`AUTOBOOK_DATA_UNPLACED=refuse`).
    #[error(
        "sealed value under key id {kid:?} carries no place, and unplaced values are refused \
         (AUTOBOOK_DATA_UNPLACED=refuse)"
    )]
    Unplaced { kid: String },
    /// Carries the sealed prefix but is not a sealed value.
    #[error("malformed sealed value: {0}")]
    Malformed(&'static str),
}

impl VaultError {
    /// Whether trying again could succeed. None of these can: the stored
    /// value or the keyring must change first.
    pub fn retryable(&self) -> bool {
        match self {
            VaultError::UnknownKey { .. } => false,
            VaultError::Authentication { .. } => false,
            VaultError::Misplaced { .. } => false,
            VaultError::Unplaced { .. } => false,
            VaultError::Malformed(_) => false,
        }
    }
}

/// `AUTOBOOK_DATA_KEYS` (or a value given to [`crate::Keyring::parse`]) is
/// unusable. Quotes positions and key ids, never key bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error("AUTOBOOK_DATA_KEYS is not set")]
    Missing,
    #[error("the keyring holds no key")]
    Empty,
    #[error("keyring entry {position} is not `kid:base64key`")]
    NotAnEntry { position: usize },
    #[error("keyring entry {position}: a key id is 1 to 32 of A-Z, a-z, 0-9, _ and -")]
    BadKeyId { position: usize },
    #[error("key {kid:?} is not base64 of 32 bytes")]
    BadKey { kid: String },
    #[error("key id {kid:?} appears twice")]
    DuplicateKeyId { kid: String },
    #[error("AUTOBOOK_DATA_UNPLACED is `open` or `refuse`")]
    BadUnplaced,
}
