//! Executor errors, classified for the consumer: retry, or dead-letter.

/// Why a message could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed or is unreachable.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Other writers kept changing the saga; the message is tried again later.
    #[error("saga {0} kept changing under concurrent writers")]
    Contention(uuid::Uuid),
    /// The stored saga could not be read back. A human must look.
    #[error("stored state of saga {saga_id} is unreadable: {detail}")]
    CorruptState { saga_id: uuid::Uuid, detail: String },
    /// The stored state's personal data cannot be opened with this keyring
    /// (a key missing from `AUTOBOOK_DATA_KEYS`, or a tampered value).
    #[error("stored state of saga {saga_id} cannot be opened: {source}")]
    Sealed {
        saga_id: uuid::Uuid,
        #[source]
        source: autobook_vault::VaultError,
    },
}

impl StoreError {
    /// Whether handling the message again later may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            StoreError::Database(_) | StoreError::Contention(_) => true,
            StoreError::CorruptState { .. } | StoreError::Sealed { .. } => false,
        }
    }
}
