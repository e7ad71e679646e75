//! Duffel: flight search (offer requests), offers, orders and order
//! cancellations.
//!
//! [`client`] sends the requests; [`request`] builds their bodies (with
//! [`infants`] seating infants on adults' laps) and [`errors`] reads error
//! answers, all pure; [`wire`] holds the JSON shapes and [`mapping`] turns
//! them into our types.

pub mod client;
pub mod errors;
pub mod infants;
pub mod mapping;
pub mod model;
pub mod request;
pub mod wire;

pub use client::{DuffelClient, OrderLookup};
pub use model::{Cancellation, DuffelOrder, NewOrder, SearchResult};

#[cfg(test)]
mod tests;
