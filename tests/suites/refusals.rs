//! Refusals on the broker path name the field and never quote the input:
//! hostile numbers, booleans, strings and keys put in the fields of a trip
//! request, a search and a capture are dead-lettered with a reason (the
//! `x-autobook-reason` header, and the archived row) that names the field
//! path and holds none of them. Only messages the codec or the trip rules
//! refuse are sent (checked here first): no command reaches a provider.

use serde_json::{Value, json};
use uuid::Uuid;

use autobook_contracts::{Envelope, IdempotencyKey, Message, QueueRole, Step};
use autobook_tests::spawn;
use autobook_tests::trips::trip_json;

/// What the hostile values contain: none may be in a reason.
const NEEDLES: [&str; 6] = [
    "14155550177",
    "98765432109",
    "31415926",
    "amelia",
    "true",
    "false",
];

fn hostile_values() -> Vec<Value> {
    vec![
        json!(14_155_550_177_i64),
        json!(-98_765_432_109_i64),
        json!(31_415_926.5),
        json!(true),
        json!(false),
        json!(format!("Amelia \"` {}", "x".repeat(500))),
        json!({"amelia@example.com": 14_155_550_177_i64}),
    ]
}

/// Whether `needle` is in `text` as a word of its own (ignoring case).
fn holds_word(text: &str, needle: &str) -> bool {
    let text = text.to_lowercase();
    text.match_indices(needle).any(|(at, _)| {
        let joined = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        needle == "amelia"
            || (!joined(text[..at].chars().last())
                && !joined(text[at + needle.len()..].chars().next()))
    })
}

/// Every scalar field of `value` as (JSON pointer, path as reasons write it).
fn leaves(value: &Value, pointer: String, path: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(fields) => {
            for (key, inner) in fields {
                let inner_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                leaves(inner, format!("{pointer}/{key}"), inner_path, out);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                leaves(
                    inner,
                    format!("{pointer}/{index}"),
                    format!("{path}[{index}]"),
                    out,
                );
            }
        }
        _ => out.push((pointer, path)),
    }
}

fn wire(message_type: &str, payload: Value) -> Value {
    json!({
        "message_id": Uuid::now_v7(),
        "saga_id": Uuid::now_v7(),
        "message_type": message_type,
        "schema_version": 1,
        "occurred_at": "2026-11-21T12:00:00Z",
        "payload": payload,
    })
}

/// Whether the stack must refuse `body` on `role`'s queue.
fn refused(body: &[u8]) -> bool {
    match Envelope::decode(body) {
        Err(_) => true,
        Ok(envelope) => match envelope.message {
            Message::TripRequested(trip) => trip.validate(chrono::Utc::now()).is_err(),
            _ => false,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_values_in_every_field_are_refused_by_field_path_without_being_quoted() {
    let system = spawn().await;
    let key = |step| IdempotencyKey::derive(Uuid::now_v7(), step, 1);
    let templates = [
        (QueueRole::Orchestrator, "trip.requested", trip_json()),
        (
            QueueRole::Search,
            "search.offers",
            json!({
                "idempotency_key": key(Step::Search),
                "origin": "JFK", "destination": "LAX", "departure_date": "2027-03-14",
                "passenger_ages": [30], "cabin_class": "economy", "max_connections": 1,
            }),
        ),
        (
            QueueRole::Payment,
            "payment.capture",
            json!({
                "idempotency_key": key(Step::Capture),
                "user_id": "usr_refusals",
                "payment_intent_id": "pi_3Mtw",
                "amount": {"amount_minor": 20_000, "currency": "USD"},
            }),
        ),
    ];
    let mut problems = Vec::new();
    let mut sent = 0;
    for (role, message_type, payload) in templates {
        let (exchange, routing_key) = match role {
            QueueRole::Orchestrator => (system.topology.events_exchange(), message_type),
            _ => (system.topology.commands_exchange(), message_type),
        };
        let mut fields = Vec::new();
        leaves(&payload, String::new(), "payload".into(), &mut fields);
        for (n, (pointer, path)) in fields.iter().enumerate() {
            // Each field gets one hostile value; all of them over the fields.
            let values = hostile_values();
            let value = values[n % values.len()].clone();
            let mut spoiled = payload.clone();
            *spoiled.pointer_mut(pointer).unwrap() = value.clone();
            let body = serde_json::to_vec(&wire(message_type, spoiled)).unwrap();
            if !refused(&body) {
                continue;
            }
            system.publish_raw(&exchange, routing_key, &body).await;
            sent += 1;
            let dead = system.dead_letter(role).await;
            let reason = dead.reason;
            if let Some(needle) = NEEDLES.iter().find(|n| holds_word(&reason, n)) {
                problems.push(format!(
                    "{path} = {value}: the reason quotes {needle}: {reason}"
                ));
            }
            if !reason.contains(path.as_str()) {
                problems.push(format!(
                    "{path} = {value}: the reason does not name it: {reason}"
                ));
            }
        }
    }
    // Values of the right type that break a trip's rules.
    let events = system.topology.events_exchange();
    let rules = [
        (
            "/max_price/amount_minor",
            json!(-98_765_432_109_i64),
            "payload.max_price.amount_minor",
        ),
        (
            "/departure_date",
            json!("2014-11-15"),
            "payload.departure_date",
        ),
        ("/destination", json!("ZZZ"), "payload.destination"),
        ("/airlines", json!(["AA", "AA"]), "payload.airlines[1]"),
    ];
    for (pointer, value, path) in rules {
        let mut trip = trip_json();
        match trip.pointer_mut(pointer) {
            Some(slot) => *slot = value.clone(),
            None => trip[&pointer[1..]] = value.clone(),
        }
        let body = serde_json::to_vec(&wire("trip.requested", trip)).unwrap();
        assert!(refused(&body));
        system.publish_raw(&events, "trip.requested", &body).await;
        let dead = system.dead_letter(QueueRole::Orchestrator).await;
        assert_eq!(dead.code, "invalid_trip", "{}", dead.reason);
        assert!(dead.reason.contains(path), "{path}: {}", dead.reason);
        for quoted in ["98765432109", "2014-11-15", "ZZZ", "AA"] {
            assert!(!dead.reason.contains(quoted), "{path}: {}", dead.reason);
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {sent} refusals are wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(sent >= 25, "only {sent} hostile messages were refused");
    system.teardown().await;
}
