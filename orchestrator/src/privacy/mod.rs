//! Travellers' personal data after the booking: erasure on request
//! (GDPR art. 17, CCPA) and retention limits.
//!
//! - [`scrub`]: removes one saga's personal data from every table, keeping
//!   the minimal financial record (the booking: PNR, order, amounts, flights);
//! - [`erasure`]: carries out pending erasures: stops the user's running
//!   sagas through their normal cancellation (holds voided, orders cancelled,
//!   nothing left half-done), then scrubs every saga of the user once they
//!   have all stopped, and records that it was done;
//! - [`pseudonym`]: what an erased user's kept records carry instead of
//!   their user id, keyed with a secret;
//! - [`retention`]: deletes offers some time after they expired and scrubs
//!   the personal data of trips some days after travel.

pub mod erasure;
pub mod pseudonym;
pub mod retention;
pub mod scrub;

pub use pseudonym::{PseudonymKey, unkeyed_subject as subject_of};
