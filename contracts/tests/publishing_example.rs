//! The trip request example in `docs/publishing.md` is a valid message:
//! gateway authors copy it, so it must decode and validate.

#![allow(clippy::unwrap_used)]

use autobook_contracts::{Envelope, Message};
use chrono::{TimeZone, Utc};

fn published_example() -> String {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/publishing.md"
    ))
    .unwrap();
    let start = page
        .find("```json\n{\n  \"message_id\"")
        .expect("docs/publishing.md shows a trip.requested envelope");
    let body = &page[start + "```json\n".len()..];
    body[..body.find("```").unwrap()].to_owned()
}

#[test]
fn the_published_trip_request_decodes_and_validates() {
    let envelope = Envelope::decode(published_example().as_bytes()).expect("the example decodes");
    let Message::TripRequested(trip) = &envelope.message else {
        panic!("not a trip request")
    };
    let when_written = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    trip.validate(when_written)
        .expect("the example is a valid trip");
    assert_eq!(
        envelope.trace.traceparent,
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    );
}
