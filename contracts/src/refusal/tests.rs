//! Refusals name the field and never the value: serde's message shapes one
//! by one, then a seeded sweep over every field of every message type with
//! hostile numbers, booleans, strings and keys.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::*;
use crate::envelope::Envelope;
use crate::idempotency::{IdempotencyKey, Step};
use crate::message::MessageType;
use crate::wire::WireEnvelope;

/// What the hostile values contain: none may be in any reason.
const NEEDLES: [&str; 7] = [
    "14155550177",
    "98765432109",
    "31415926",
    "amelia",
    "secret",
    "true",
    "false",
];

/// A key that is none of our field names, holding personal data.
const HOSTILE_KEY: &str = "amelia_secret@example.com";

fn hostile_string() -> String {
    format!(
        "amelia.secret@example.com \"` ' 14155550177 \\\" {}",
        "Earhart".repeat(60)
    )
}

/// The hostile stand-ins for any value.
fn hostile_values() -> Vec<Value> {
    vec![
        json!(14_155_550_177_i64),
        json!(-98_765_432_109_i64),
        json!(31_415_926.535_89),
        json!(true),
        json!(false),
        json!(hostile_string()),
        json!({ HOSTILE_KEY: 14_155_550_177_i64 }),
        json!([true, 14_155_550_177_i64, hostile_string()]),
        Value::Null,
    ]
}

/// Whether `needle` occurs in `text` as a word of its own (ignoring case).
fn holds_word(text: &str, needle: &str) -> bool {
    let text = text.to_lowercase();
    text.match_indices(needle).any(|(at, _)| {
        let before = text[..at].chars().last();
        let after = text[at + needle.len()..].chars().next();
        let joined = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        // Digits must not be part of a longer number either way; words of
        // letters count inside identifiers too (`amelia_secret`).
        if needle.starts_with(|c: char| c.is_ascii_digit()) {
            !joined(before) && !joined(after)
        } else {
            needle != "true" && needle != "false" || (!joined(before) && !joined(after))
        }
    })
}

fn quotes_input(text: &str) -> Option<&'static str> {
    NEEDLES.into_iter().find(|needle| holds_word(text, needle))
}

#[test]
fn the_needle_check_finds_what_it_looks_for() {
    assert!(quotes_input("invalid type: integer `14155550177`").is_some());
    assert!(quotes_input("invalid value: boolean `true`, expected").is_some());
    assert!(quotes_input("unknown field `amelia_secret@example.com`").is_some());
    assert!(quotes_input("expected a boolean, found an integer").is_none());
    assert!(quotes_input("payload.passengers[0].born_on: missing").is_none());
}

/// A valid instance of a JSON Schema (`defs` resolves references).
fn sample(schema: &Value, defs: &Map<String, Value>) -> Value {
    // Local times, which the schema states only in words.
    if schema["description"]
        .as_str()
        .is_some_and(|d| d.starts_with("Local time at"))
    {
        return json!("2030-01-01T06:00:00");
    }
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return named_sample(name).unwrap_or_else(|| sample(&defs[name], defs));
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[key].as_array() {
            let option = options
                .iter()
                .find(|o| o["type"] != "null")
                .unwrap_or(&options[0]);
            let mut value = sample(option, defs);
            // A tagged variant: the tag sits beside the alternatives.
            if let (Some(object), Some(properties)) =
                (value.as_object_mut(), schema["properties"].as_object())
            {
                for (name, property) in properties {
                    object.insert(name.clone(), sample(property, defs));
                }
            }
            return value;
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        other => Some(other.clone()),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), sample(property, defs));
            }
            Value::Object(object)
        }
        Some("array") => json!([sample(&schema["items"], defs)]),
        Some("integer") => json!(schema["minimum"].as_i64().unwrap_or(0).max(1)),
        Some("number") => json!(1.5),
        Some("boolean") => json!(false),
        Some("string") => match (schema["format"].as_str(), schema["pattern"].as_str()) {
            (Some("uuid"), _) => json!(Uuid::now_v7()),
            (Some("date"), _) => json!("2030-01-01"),
            (Some("date-time"), _) => json!("2030-01-01T00:00:00Z"),
            (_, Some(pattern)) if pattern.contains(r"\d{2}:\d{2}") => json!("06:00"),
            (_, Some(pattern)) if pattern.contains(r"\d{4}-") => json!("2030-01-01"),
            _ => json!("x"),
        },
        _ => Value::Null,
    }
}

/// Values of the types whose rule the schema states only in words.
fn named_sample(name: &str) -> Option<Value> {
    let value = match name {
        "PlaceCode" => json!("JFK"),
        "AirlineCode" => json!("AA"),
        "UserId" => json!("usr_1"),
        "PaymentMethodId" => json!("pm_card_visa"),
        "CustomerId" => json!("cus_1"),
        "Currency" => json!("USD"),
        "EmailAddress" => json!("a@example.com"),
        "PhoneNumber" => json!("+14155550100"),
        "PersonName" => json!("Ann"),
        "DocumentNumber" => json!("K1234567"),
        "IssuingCountry" => json!("GB"),
        "IdempotencyKey" => json!(IdempotencyKey::derive(Uuid::now_v7(), Step::Order, 1)),
        _ => return None,
    };
    Some(value)
}

/// A valid wire envelope of `message_type`, decoding as it is.
fn valid_wire(message_type: MessageType) -> Value {
    let schema = serde_json::to_value(message_type.payload_schema()).unwrap();
    let defs = schema["$defs"].as_object().cloned().unwrap_or_default();
    let payload = sample(&schema, &defs);
    let wire = json!({
        "message_id": Uuid::now_v7(),
        "saga_id": Uuid::now_v7(),
        "causation_id": Uuid::now_v7(),
        "message_type": message_type.as_str(),
        "schema_version": 1,
        "occurred_at": "2026-11-21T12:00:00Z",
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "a=b",
        "payload": payload,
    });
    let decoded = Envelope::decode(&serde_json::to_vec(&wire).unwrap());
    assert!(decoded.is_ok(), "{message_type}: {decoded:?}\n{wire:#}");
    wire
}

/// Every value in `value` with its path as refusals write it.
fn paths(value: &Value, at: String, out: &mut Vec<(String, Vec<PathStep>)>, steps: Vec<PathStep>) {
    out.push((at.clone(), steps.clone()));
    match value {
        Value::Object(object) => {
            for (key, inner) in object {
                let mut next = steps.clone();
                next.push(PathStep::Key(key.clone()));
                paths(inner, join(&at, key), out, next);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                let mut next = steps.clone();
                next.push(PathStep::Index(index));
                paths(inner, format!("{at}[{index}]"), out, next);
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn slot<'v>(value: &'v mut Value, steps: &[PathStep]) -> &'v mut Value {
    steps.iter().fold(value, |value, step| match step {
        PathStep::Key(key) => &mut value[key.as_str()],
        PathStep::Index(index) => &mut value[*index],
    })
}

/// Whether `field` is `path` or leads to it.
fn leads_to(field: &str, path: &str) -> bool {
    path == field
        || path
            .strip_prefix(field)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// `field` without its last name.
fn parent(field: &str) -> &str {
    field.rfind('.').map_or("", |at| &field[..at])
}

/// xorshift64*: a seeded choice of which hostile values go where.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

#[test]
fn every_field_of_every_message_is_refused_by_name_without_its_value() {
    let mut rng = Rng(0x5eed_2611);
    let (mut refused, mut exact) = (0, 0);
    let mut problems = Vec::new();
    for message_type in MessageType::ALL {
        let wire = valid_wire(*message_type);
        let mut all = Vec::new();
        paths(&wire, String::new(), &mut all, Vec::new());
        for (path, steps) in all.iter().filter(|(path, _)| !path.is_empty()) {
            let mut values = hostile_values();
            // Plus a hostile key beside the fields of an object.
            let original = slot(&mut wire.clone(), steps).clone();
            if let Value::Object(mut object) = original {
                object.insert(HOSTILE_KEY.into(), json!(14_155_550_177_i64));
                values.push(Value::Object(object));
            }
            // Every value at the payload's fields, a seeded few elsewhere.
            let count = if path.starts_with("payload") {
                values.len()
            } else {
                3
            };
            for _ in 0..count {
                let value = values.swap_remove(rng.below(values.len()));
                let mut mutated = wire.clone();
                *slot(&mut mutated, steps) = value;
                let body = serde_json::to_vec(&mutated).unwrap();
                let Err(error) = Envelope::decode(&body) else {
                    continue;
                };
                refused += 1;
                let reason = error.to_string();
                if let Some(needle) = quotes_input(&reason) {
                    problems.push(format!(
                        "{message_type} {path}: quotes {needle:?}: {reason}"
                    ));
                }
                let field = reason_field(&mutated, *message_type);
                match field {
                    // At the spoiled value or inside it (an array read as a
                    // struct, a field missing from an object put there).
                    Some(field) if leads_to(path, &field) => exact += 1,
                    // An object leading to it, or a field named in one:
                    // inside a tagged enum serde loses the inner path.
                    Some(field) if leads_to(&field, path) || leads_to(parent(&field), path) => {}
                    Some(field) if field == "message_type" || field == "schema_version" => {}
                    other => problems.push(format!(
                        "{message_type} {path}: names {other:?}, not the field: {reason}"
                    )),
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems, the first:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
    eprintln!("{refused} refusals, {exact} at the spoiled value");
    assert!(refused > 2_000, "only {refused} refusals");
    // Most name the very field that was spoiled.
    assert!(exact * 10 > refused * 9, "{exact} of {refused} exact");
}

/// The field a refusal of `wire` names, from the decoder's own parts.
fn reason_field(wire: &Value, message_type: MessageType) -> Option<String> {
    if let Err(refused) = from_value::<WireEnvelope>(wire.clone()) {
        return Some(refused.field);
    }
    if MessageType::parse(wire["message_type"].as_str()?).is_none() {
        return Some("message_type".into());
    }
    if wire["schema_version"] != 1 {
        return Some("schema_version".into());
    }
    match crate::message::Message::from_payload_json(
        message_type,
        wire["payload"].clone(),
        &PayloadRefusals,
    ) {
        Err(refused) => Some(refused.under("payload").field),
        // Refused after decoding: a v4 message id, the nil saga.
        Ok(_) => ["message_id", "saga_id"]
            .into_iter()
            .find(|field| wire[field].is_string())
            .map(str::to_owned),
    }
}

#[test]
fn serde_shapes_become_field_and_expectation() {
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Passenger {
        given_name: String,
        title: crate::personal::Title,
        born_on: chrono::NaiveDate,
        age: Option<u8>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Trip {
        passengers: Vec<Passenger>,
    }
    let person = || json!({"given_name": "Ann", "title": "ms", "born_on": "1980-01-01", "age": 40});
    let refuse = |edit: &dyn Fn(&mut Value)| {
        let mut trip = json!({"passengers": [person(), person()]});
        edit(&mut trip["passengers"][1]);
        from_value::<Trip>(trip).unwrap_err().to_string()
    };
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|p| p["given_name"] = json!(14_155_550_177_i64)),
            "passengers[1].given_name: expected a string, found an integer",
        ),
        (
            Box::new(|p| p["age"] = json!(true)),
            "passengers[1].age: expected u8, found a boolean",
        ),
        (
            Box::new(|p| p["age"] = json!(-98_765_432_109_i64)),
            "passengers[1].age: invalid integer, expected u8",
        ),
        (
            Box::new(|p| p["title"] = json!("Amelia")),
            "passengers[1].title: unknown value, expected one of `mr`, `ms`, `mrs`, `miss`, `dr`",
        ),
        (
            Box::new(|p| p["amelia@example.com"] = json!(1)),
            "passengers[1]: unknown field, expected one of `given_name`, `title`, `born_on`, `age`",
        ),
        (
            Box::new(|p| p["saga_id"] = json!(1)),
            "passengers[1].saga_id: unknown field, expected one of `given_name`, `title`, `born_on`, `age`",
        ),
        (
            Box::new(|p| {
                p.as_object_mut().unwrap().remove("born_on");
            }),
            "passengers[1].born_on: missing: the field is required",
        ),
        (
            Box::new(|p| p["born_on"] = json!("July 24th, 'Amelia' \"secret\"")),
            "passengers[1].born_on: input contains invalid characters",
        ),
        (
            Box::new(|p| p["given_name"] = json!(null)),
            "passengers[1].given_name: expected a string, found null",
        ),
    ];
    for (edit, expected) in cases {
        assert_eq!(refuse(&*edit), expected);
    }
}

#[test]
fn syntax_errors_say_where_not_what() {
    let refused = from_slice::<Value>(b"{\"amelia\": tru}").unwrap_err();
    assert_eq!(refused.field, "");
    assert!(matches!(refused.problem, Problem::Syntax(_)), "{refused}");
    assert!(!refused.to_string().contains("amelia"), "{refused}");
    let trailing = from_slice::<Value>(b"{} amelia").unwrap_err();
    assert!(
        trailing.to_string().contains("trailing characters"),
        "{trailing}"
    );
}

#[test]
fn scrub_removes_quoted_parts_and_what_was_found() {
    assert_eq!(
        scrub(
            "invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `Z` at 1"
        ),
        "invalid character: expected an optional prefix of … followed by [0-9a-fA-F-]"
    );
    assert_eq!(
        scrub(r#"invalid code "usr\" amelia@example.com \\" at line 1"#),
        "invalid code … at line 1"
    );
    assert_eq!(
        scrub("before today in the departure airport's time zone"),
        "before today in the departure airport's time zone"
    );
    assert!(scrub(&"x".repeat(10_000)).chars().count() <= MAX_CHARS + 1);
}

#[test]
fn known_names_come_from_the_schemas() {
    assert!(is_known_field_name("born_on"));
    assert!(is_known_field_name("payload"));
    assert!(is_known_field_name("idempotency_key"));
    assert!(!is_known_field_name("amelia"));
    assert!(!is_known_field_name(""));
}
