//! # autobook-reconcile
//!
//! The reconciliation job: what Stripe and Duffel say through their APIs,
//! compared with what the sagas recorded.
//!
//! - [`finding`]: the mismatch classes and one finding;
//! - [`observed`]: the providers' objects and our records as compared;
//! - [`compare`]: the comparison itself (pure);

pub mod compare;
pub mod finding;
pub mod observed;
