//! The body of each kind of bad message: random bytes, broken JSON and
//! envelopes, unknown or too new types, wrong field types, hostile text,
//! orphan events, commands on the wrong queue and invalid trips.

use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::{MessageType, QueueRole};

use super::generator::Kind;
use super::payloads::{COMMAND_TYPES, EVENT_TYPES, hostile, huge, payload, to_vec, wire};
use super::rng::Rng;
use crate::trips::trip_json;

/// The types consumed by `role`.
pub(super) fn own_types(role: QueueRole) -> Vec<&'static str> {
    role.message_types().map(|t| t.as_str()).collect()
}

/// Valid-shaped types that do not belong on `role` (for the orchestrator:
/// every command, and events for sagas that do not exist).
fn foreign_types(role: QueueRole, commands_only: bool) -> Vec<&'static str> {
    let events: &[&str] = if commands_only { &[] } else { EVENT_TYPES };
    COMMAND_TYPES
        .iter()
        .chain(events)
        .copied()
        .filter(|t| {
            role == QueueRole::Orchestrator || MessageType::parse(t).unwrap().consumer() != role
        })
        .collect()
}

/// A wrong-typed stand-in for `value`.
fn wrong_type(rng: &mut Rng, value: &Value) -> Value {
    match value {
        Value::String(_) => rng
            .pick(&[json!(42), json!(true), json!([]), json!({"a": 1})])
            .clone(),
        Value::Number(_) => rng
            .pick(&[json!("forty-two"), json!([1]), json!(true)])
            .clone(),
        Value::Array(_) => rng
            .pick(&[json!({"0": 30}), json!("[30]"), json!(7)])
            .clone(),
        Value::Object(_) => rng
            .pick(&[json!("[object Object]"), json!([]), json!(0)])
            .clone(),
        _ => json!({"unexpected": true}),
    }
}

/// An invalid trip: refused when decoded or when validated.
fn invalid_trip(rng: &mut Rng) -> Value {
    let mut trip = trip_json();
    match rng.below(10) {
        0 => trip["departure_date"] = json!("2020-01-01"),
        1 => trip["destination"] = json!("JFK"),
        2 => trip["departure_date"] = json!("2031-06-01"),
        3 => trip["destination"] = json!("ZZZ"),
        4 => trip["passengers"][0]["born_on"] = json!("2024-01-01"),
        5 => {
            let passenger = trip["passengers"][0].clone();
            trip["passengers"] = json!(vec![passenger; 10]);
        }
        6 => trip["return_date"] = json!("2020-01-02"),
        7 => trip["departure_window"] = json!({"earliest": "21:00", "latest": "06:00"}),
        8 => trip["airlines"] = json!(["AA", "AA"]),
        _ => trip["passengers"] = json!([]),
    }
    trip
}

/// A trip carrying hostile text in a field that is checked.
fn hostile_trip(rng: &mut Rng, text: String) -> Value {
    let mut trip = trip_json();
    match rng.below(7) {
        0 => trip["passengers"][0]["family_name"] = json!(text),
        1 => trip["passengers"][0]["given_name"] = json!(text),
        2 => trip["contact_email"] = json!(text),
        3 => trip["user_id"] = json!(text),
        4 => trip["origin"] = json!(text),
        5 => trip["passengers"][0]["phone_number"] = json!(text),
        _ => trip["payment"]["payment_method"] = json!(text),
    }
    trip
}

pub(super) fn body(rng: &mut Rng, role: QueueRole, kind: Kind) -> Vec<u8> {
    let own = own_types(role);
    match kind {
        Kind::RandomBytes => {
            let n = rng.below(600);
            let mut bytes = rng.bytes(n);
            match rng.below(3) {
                0 => bytes.insert(0, b'{'),
                1 => bytes.iter_mut().for_each(|b| *b = b' ' + *b % 95),
                _ => {}
            }
            bytes
        }
        Kind::Truncated => {
            let t = *rng.pick(&own);
            let text = hostile(rng);
            let p = payload(rng, t, &text);
            let full = to_vec(&wire(rng, t, p));
            let cut = rng.below(full.len());
            full[..cut].to_vec()
        }
        Kind::NotAnEnvelope => match rng.below(9) {
            0 => to_vec(&json!(rng.next_u64())),
            1 => to_vec(&json!(hostile(rng))),
            2 => to_vec(&json!([rng.uuid_v7(), "trip.requested", 1, null])),
            3 => to_vec(&json!({"message_id": rng.uuid_v7(), "hello": hostile(rng)})),
            4 => {
                let depth = 200 + rng.below(5_000);
                format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
            }
            5 => b"1e99999999".to_vec(),
            6 => to_vec(&Value::Null),
            7 => {
                // A valid envelope behind a byte-order mark.
                let t = *rng.pick(&own);
                let p = payload(rng, t, "x");
                let mut bytes = "\u{feff}".as_bytes().to_vec();
                bytes.extend(to_vec(&wire(rng, t, p)));
                bytes
            }
            _ => {
                let p = payload(rng, "search.failed", "x");
                let mut w = wire(rng, "search.failed", p);
                w["payload"] = json!({"deep": {"er": [[[{"x": hostile(rng)}]]]}});
                to_vec(&json!({"envelope": w}))
            }
        },
        Kind::BadEnvelope => {
            let t = *rng.pick(EVENT_TYPES);
            let p = payload(rng, t, "x");
            let mut w = wire(rng, t, p);
            match rng.below(12) {
                0 => w["message_id"] = json!(rng.uuid_v4()),
                1 => w["message_id"] = json!(hostile(rng)),
                2 => w["saga_id"] = json!(Uuid::nil()),
                3 => w["saga_id"] = json!(12345),
                4 => w["occurred_at"] = json!("yesterday at noon"),
                5 => w["schema_version"] = json!(-1),
                6 => w["schema_version"] = json!("1"),
                7 => w["schema_version"] = json!(70_000),
                8 => w["message_type"] = json!(42),
                9 => {
                    let field =
                        *rng.pick(&["message_id", "saga_id", "message_type", "occurred_at"]);
                    w.as_object_mut().unwrap().remove(field);
                }
                10 => w["causation_id"] = json!("not-a-uuid"),
                _ => {
                    // A duplicated field: serde_json keeps the last one, so
                    // this decodes and is refused as unknown_saga/wrong_queue.
                    let mut text = String::from_utf8(to_vec(&w)).unwrap();
                    text.insert_str(1, &format!("\"saga_id\":\"{}\",", rng.uuid_v4()));
                    return text.into_bytes();
                }
            }
            to_vec(&w)
        }
        Kind::UnknownType => {
            let real = *rng.pick(&own);
            let name = match rng.below(8) {
                0 => hostile(rng),
                1 => real.to_uppercase(),
                2 => format!("{real} "),
                3 => format!("{real}\u{0}"),
                4 => real.replace('.', "_"),
                5 => format!("{real}.v2"),
                6 => String::new(),
                _ => (*rng.pick(&[
                    "trip.teleported",
                    "trip.cancelled",
                    "payment.refund_everything",
                    "*",
                    "#",
                ]))
                .to_owned(),
            };
            let p = payload(rng, real, "x");
            to_vec(&wire(rng, &name, p))
        }
        Kind::TooNew => {
            let t = *rng.pick(&own);
            let p = payload(rng, t, "x");
            let mut w = wire(rng, t, p);
            w["schema_version"] = json!(2 + rng.below(65_534));
            to_vec(&w)
        }
        Kind::WrongFieldTypes => {
            let t = *rng.pick(&own);
            let mut p = payload(rng, t, "x");
            if rng.below(5) == 0 {
                p = rng
                    .pick(&[json!("payload"), json!([p]), json!(3.5), Value::Null])
                    .clone();
            } else if let Some(fields) = p.as_object_mut() {
                let names: Vec<String> = fields.keys().cloned().collect();
                let name = rng.pick(&names).clone();
                let wrong = wrong_type(rng, &fields[&name]);
                fields.insert(name, wrong);
            }
            to_vec(&wire(rng, t, p))
        }
        Kind::Hostile | Kind::Huge => {
            let text = if kind == Kind::Huge {
                huge(rng)
            } else {
                hostile(rng)
            };
            match rng.below(4) {
                0 if role == QueueRole::Orchestrator => {
                    let trip = hostile_trip(rng, text);
                    to_vec(&wire(rng, "trip.requested", trip))
                }
                1 => {
                    let real = *rng.pick(&own);
                    let p = payload(rng, real, "x");
                    to_vec(&wire(rng, &text, p))
                }
                _ => {
                    let t = *rng.pick(&foreign_types(role, false));
                    let p = payload(rng, t, &text);
                    to_vec(&wire(rng, t, p))
                }
            }
        }
        Kind::TooLarge => {
            let t = *rng.pick(&own);
            let p = payload(rng, t, "x");
            let mut w = wire(rng, t, p);
            w["padding"] = json!("x".repeat(1_100_000));
            to_vec(&w)
        }
        Kind::Orphan => {
            let t = *rng.pick(EVENT_TYPES);
            let p = payload(rng, t, "the provider said no");
            to_vec(&wire(rng, t, p))
        }
        Kind::WrongQueue => {
            let t = *rng.pick(&foreign_types(role, true));
            let p = payload(rng, t, "pi_3MtwBwLkdIwHu7ix28a3tqPa");
            to_vec(&wire(rng, t, p))
        }
        Kind::InvalidTrip => {
            let trip = invalid_trip(rng);
            to_vec(&wire(rng, "trip.requested", trip))
        }
    }
}
