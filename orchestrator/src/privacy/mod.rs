//! Travellers' personal data after the booking: erasure on request
//! (GDPR art. 17, CCPA) and retention limits.
//!
//! - [`scrub`]: removes one saga's personal data from every table, keeping
//!   the minimal financial record (the booking: PNR, order, amounts, flights);
//! - [`erasure`]: carries out pending erasures: stops the user's running
//!   sagas through their normal cancellation (holds voided, orders cancelled,
//!   nothing left half-done), then scrubs every saga of the user once they
//!   have all stopped, and records that it was done;
//! - [`retention`]: deletes offers some time after they expired and scrubs
//!   the personal data of trips some days after travel.

pub mod erasure;
pub mod retention;
pub mod scrub;

/// The pseudonym an erased user's remaining records carry: a prefix of the
/// SHA-256 of the user id, so the financial record stays grouped without
/// naming anyone.
pub fn erased_user(subject: &str) -> String {
    format!("erased:{}", &subject[..subject.len().min(16)])
}

/// The hash an erasure is recorded under (hex SHA-256 of the user id).
pub fn subject_of(user_id: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(user_id.as_bytes()))
}
