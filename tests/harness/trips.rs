//! Valid trip requests for tests, editable as JSON: the sample trip that
//! every crate's tests share (`autobook_contracts::fixtures`).

pub use autobook_contracts::fixtures::{trip, trip_json, trip_with};
