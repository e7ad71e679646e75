//! Duffel tests: real fixtures, synthetic offers, request bodies and
//! error answers. No network.

mod errors;
mod fixtures;
mod mapping;
mod order_passengers;
mod requests;

use crate::providers::transport::RawResponse;

/// A fixture body from `workers/tests/fixtures/duffel`, as a 200 answer.
fn fixture(name: &str) -> RawResponse {
    let path = format!(
        "{}/tests/fixtures/duffel/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let body = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    RawResponse {
        status: 200,
        headers: Default::default(),
        body,
    }
}
