//! What a traveller may ask about their own data, as the gateway serves it:
//! an export of everything held on them, and erasure.
//!
//! Both read and write through the gateway's database role with the
//! user's id set for the transaction ([`crate::db::as_user`]):
//! row-level security shows them only that user's rows. The erasure itself is carried
//! out by the orchestrators (`autobook_orchestrator::privacy::erasure`).

pub mod erasure_request;
pub mod export;

pub use erasure_request::{ErasureReceipt, request_erasure};
pub use export::export;

/// Why a privacy request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored personal data could not be opened (a key is missing).
    #[error("stored data could not be read: {0}")]
    Sealed(#[from] autobook_vault::VaultError),
}

impl PrivacyError {
    /// Worth retrying later (the database may come back; a key will not).
    pub fn retryable(&self) -> bool {
        match self {
            PrivacyError::Database(_) => true,
            PrivacyError::Sealed(_) => false,
        }
    }
}
