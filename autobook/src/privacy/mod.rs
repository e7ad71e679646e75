//! What a traveller may ask about their own data: an export of everything
//! held on them, and erasure. Not available in this build yet: both answer
//! [`PrivacyError::NotAvailable`] (the gateway's 503).

use autobook_broker::Publisher;
use autobook_contracts::codes::UserId;
use sqlx::PgPool;

/// Why a privacy request could not be served.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error("data export and erasure are not available yet")]
    NotAvailable,
}

/// Everything autobook holds on `user`, as one JSON document.
pub async fn export(_pool: &PgPool, _user: &UserId) -> Result<serde_json::Value, PrivacyError> {
    Err(PrivacyError::NotAvailable)
}

/// Records that `user` asked to be erased and stops their trips.
pub async fn request_erasure(
    _pool: &PgPool,
    _publisher: &Publisher,
    _user: &UserId,
) -> Result<serde_json::Value, PrivacyError> {
    Err(PrivacyError::NotAvailable)
}
