//! Why a JSON value was refused, in words safe to show anyone: where (the
//! field path, `payload.passengers[0].born_on`) and what was expected,
//! never the value. The envelope codec puts these in dead-letter reasons,
//! headers and logs; the gateway in its 422 answers.
//!
//! serde's messages quote what they refused (``invalid type: integer
//! `14155550177`, expected a string``, ``unknown variant `Amelia` ``,
//! ``unknown field `amelia@example.com` ``). Rather than blank the quotes
//! out, a [`Refusal`] is built only from what comes from our own schema:
//! the kind of value found (an integer, a boolean; never the value), what
//! was expected, the names of missing fields. Keys are named only when
//! they are field names of our messages ([`is_known_field_name`]); any
//! other key is data and is not repeated. A parser's own words (a
//! personal field's rule, a date's format) are kept with any quoted part
//! removed.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::LazyLock;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

use crate::message::{DecodePayload, MessageType};
use crate::wire::WireEnvelope;

/// Longest field path and longest text kept from a parser.
const MAX_CHARS: usize = 200;

/// Stands for a key that is not one of our field names.
pub const UNKNOWN_KEY: &str = "<unknown>";

/// A value refused: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The path of the field at fault (`passengers[0].born_on`); empty for
    /// the whole document.
    pub field: String,
    pub problem: Problem,
}

/// What was wrong with the value, without the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A value of another JSON type.
    InvalidType {
        found: ValueKind,
        expected: String,
    },
    /// A value of the right type out of range or not allowed.
    InvalidValue {
        found: ValueKind,
        expected: String,
    },
    /// An array or string of the wrong length.
    InvalidLength {
        expected: String,
    },
    /// A string that is none of the allowed values (`expected` lists them).
    UnknownValue {
        expected: Option<String>,
    },
    /// A key the object does not take (named in `field` only when it is a
    /// field name of ours).
    UnknownField {
        expected: Option<String>,
    },
    MissingField,
    DuplicateField,
    /// A parser's own rule (a name's letters, a date's form).
    Rule(String),
    /// The text is not JSON (what the parser met, and where).
    Syntax(String),
}

/// The JSON type of a refused value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Boolean,
    Integer,
    Number,
    String,
    Null,
    Array,
    Object,
    Other,
}

impl ValueKind {
    /// serde's name for the unexpected value, at the start of `text`.
    fn from_serde(text: &str) -> ValueKind {
        const KINDS: [(&str, ValueKind); 17] = [
            ("boolean", ValueKind::Boolean),
            ("integer", ValueKind::Integer),
            ("floating point", ValueKind::Number),
            ("character", ValueKind::String),
            ("string", ValueKind::String),
            ("byte array", ValueKind::Array),
            ("unit value", ValueKind::Null),
            ("null", ValueKind::Null),
            ("Option value", ValueKind::Null),
            ("newtype struct", ValueKind::Other),
            ("sequence", ValueKind::Array),
            ("map", ValueKind::Object),
            ("unit variant", ValueKind::String),
            ("newtype variant", ValueKind::Object),
            ("tuple variant", ValueKind::Object),
            ("struct variant", ValueKind::Object),
            ("enum", ValueKind::Other),
        ];
        KINDS
            .iter()
            .find(|(name, _)| text.starts_with(name))
            .map_or(ValueKind::Other, |(_, kind)| *kind)
    }

    fn noun(&self) -> &'static str {
        match self {
            ValueKind::Boolean => "boolean",
            ValueKind::Integer => "integer",
            ValueKind::Number => "number",
            ValueKind::String => "string",
            ValueKind::Null => "null",
            ValueKind::Array => "array",
            ValueKind::Object => "object",
            ValueKind::Other => "value",
        }
    }

    fn with_article(&self) -> &'static str {
        match self {
            ValueKind::Boolean => "a boolean",
            ValueKind::Integer => "an integer",
            ValueKind::Number => "a number",
            ValueKind::String => "a string",
            ValueKind::Null => "null",
            ValueKind::Array => "an array",
            ValueKind::Object => "an object",
            ValueKind::Other => "another value",
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::InvalidType { found, expected } => {
                write!(f, "expected {expected}, found {}", found.with_article())
            }
            Problem::InvalidValue { found, expected } => {
                write!(f, "invalid {}, expected {expected}", found.noun())
            }
            Problem::InvalidLength { expected } => write!(f, "wrong length, expected {expected}"),
            Problem::UnknownValue {
                expected: Some(expected),
            } => write!(f, "unknown value, expected {expected}"),
            Problem::UnknownValue { expected: None } => f.write_str("unknown value"),
            Problem::UnknownField {
                expected: Some(expected),
            } => write!(f, "unknown field, expected {expected}"),
            Problem::UnknownField { expected: None } => f.write_str("unknown field"),
            Problem::MissingField => f.write_str("missing: the field is required"),
            Problem::DuplicateField => f.write_str("the field appears twice"),
            Problem::Rule(text) => f.write_str(text),
            Problem::Syntax(text) => write!(f, "not valid JSON: {text}"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

impl std::error::Error for Refusal {}

impl Refusal {
    /// The same refusal, its field placed under `parent`.
    pub fn under(mut self, parent: &str) -> Refusal {
        self.field = match (parent.is_empty(), self.field.is_empty()) {
            (true, _) => self.field,
            (false, true) => parent.to_owned(),
            (false, false) if self.field.starts_with('[') => format!("{parent}{}", self.field),
            (false, false) => format!("{parent}.{}", self.field),
        };
        self
    }
}

/// `T` from a JSON value, or why not.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Refusal> {
    serde_path_to_error::deserialize(value).map_err(refusal)
}

/// Reads message payloads for [`crate::message::Message::from_payload_json`]
/// with [`from_value`].
pub(crate) struct PayloadRefusals;

impl DecodePayload for PayloadRefusals {
    type Error = Refusal;

    fn decode<T: DeserializeOwned>(&self, payload: Value) -> Result<T, Refusal> {
        from_value(payload)
    }
}

/// `T` from JSON text (trailing characters refused), or why not.
pub fn from_slice<T: DeserializeOwned>(text: &[u8]) -> Result<T, Refusal> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(refusal)?;
    deserializer.end().map_err(|error| Refusal {
        field: String::new(),
        problem: syntax(&error),
    })?;
    Ok(value)
}

/// The refusal of a JSON syntax error (the whole text).
pub fn syntax_refusal(error: &serde_json::Error) -> Refusal {
    Refusal {
        field: String::new(),
        problem: syntax(error),
    }
}

/// What the JSON parser met and where (`expected value at line 1 column
/// 1`): its fixed words, no part of the input.
pub fn syntax_description(error: &serde_json::Error) -> String {
    bounded(&error.to_string())
}

fn refusal(error: serde_path_to_error::Error<serde_json::Error>) -> Refusal {
    let path = error.path().clone();
    let inner = error.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => describe(&path, &inner.to_string()),
        serde_json::error::Category::Io
        | serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof => syntax_refusal(&inner),
    }
}

/// serde_json's syntax errors are its own fixed words and a position:
/// no part of the input.
fn syntax(error: &serde_json::Error) -> Problem {
    Problem::Syntax(syntax_description(error))
}

/// A refusal from serde's `message` about the value at `path`.
fn describe(path: &Path, message: &str) -> Refusal {
    let message = strip_position(message);
    let segments: Vec<&Segment> = path.iter().collect();
    let here = field_path(&segments);
    let named = |name: &str| join(&here, name);
    if let Some(name) = quoted_name(message, "missing field `") {
        return Refusal {
            field: named(name),
            problem: Problem::MissingField,
        };
    }
    if let Some(name) = quoted_name(message, "duplicate field `") {
        return Refusal {
            field: named(name),
            problem: Problem::DuplicateField,
        };
    }
    if message.starts_with("unknown field `") {
        // The path ends with the key itself: named only if it is ours.
        let parent = match segments.split_last() {
            Some((Segment::Map { key }, parent)) if !is_known_field_name(key) => field_path(parent),
            _ => here,
        };
        return Refusal {
            field: parent,
            problem: Problem::UnknownField {
                expected: expected_names(message),
            },
        };
    }
    let problem = if message.starts_with("unknown variant `") {
        Problem::UnknownValue {
            expected: expected_names(message),
        }
    } else if let Some(rest) = message.strip_prefix("invalid type: ") {
        Problem::InvalidType {
            found: ValueKind::from_serde(rest),
            expected: expected_after(rest),
        }
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        Problem::InvalidValue {
            found: ValueKind::from_serde(rest),
            expected: expected_after(rest),
        }
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        Problem::InvalidLength {
            expected: expected_after(rest),
        }
    } else {
        Problem::Rule(scrub(message))
    };
    Refusal {
        field: here,
        problem,
    }
}

/// The name serde put in backticks after `prefix` (a field name from the
/// schema: `missing_field` and `duplicate_field` take only those).
fn quoted_name<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    let name = &rest[..rest.find('`')?];
    is_known_field_name(name).then_some(name)
}

/// What serde says was expected: the text after the last ", expected "
/// (the input, if quoted, comes before it).
fn expected_after(rest: &str) -> String {
    match rest.rfind(", expected ") {
        Some(at) => bounded(&rest[at + ", expected ".len()..]),
        None => "another value".to_owned(),
    }
}

/// The names an unknown variant or field could have been: serde lists
/// them after the input, from the schema.
fn expected_names(message: &str) -> Option<String> {
    let at = message.rfind("`, expected ")?;
    Some(bounded(&message[at + "`, expected ".len()..]))
}

/// `message` without serde_json's " at line L column C".
fn strip_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at)
            if message[at + " at line ".len()..]
                .split(" column ")
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            &message[..at]
        }
        _ => message,
    }
}

/// The path of `segments`, with keys that are not our field names hidden.
fn field_path(segments: &[&Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(if is_known_field_name(key) {
                    key
                } else {
                    UNKNOWN_KEY
                });
            }
            Segment::Enum { variant } if is_known_field_name(variant) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(variant);
            }
            Segment::Enum { .. } => {}
            Segment::Unknown => out.push_str(if out.is_empty() { "?" } else { ".?" }),
        }
    }
    out.chars().take(MAX_CHARS).collect()
}

/// `name` under `parent`.
fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// Whether `name` is a field name of one of our messages (or of the
/// envelope): such a key is ours, not data, and may be named.
pub fn is_known_field_name(name: &str) -> bool {
    KNOWN_NAMES.contains(name)
}

static KNOWN_NAMES: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut names = BTreeSet::new();
    let envelope = serde_json::to_value(schemars::schema_for!(WireEnvelope)).unwrap_or_default();
    collect_property_names(&envelope, &mut names);
    for message_type in MessageType::ALL {
        let schema = serde_json::to_value(message_type.payload_schema()).unwrap_or_default();
        collect_property_names(&schema, &mut names);
    }
    names
});

/// Every key of every `properties` object in a JSON Schema.
fn collect_property_names(schema: &Value, names: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                names.extend(properties.keys().cloned());
            }
            for value in map.values() {
                collect_property_names(value, names);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_property_names(item, names);
            }
        }
        _ => {}
    }
}

/// A parser's message with every quoted part (`"…"`, `` `…` ``, `'…'`)
/// and anything after "found" removed, printable and bounded.
pub fn scrub(message: &str) -> String {
    let message = [", found ", " found "]
        .iter()
        .filter_map(|cut| message.find(cut))
        .min()
        .map_or(message, |at| &message[..at]);
    let mut out = String::with_capacity(message.len().min(MAX_CHARS));
    let mut chars = message.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' | '\'' if opens_quote(&out) => {
                skip_quoted(&mut chars, c);
                out.push('…');
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    bounded(out.trim())
}

/// A quote opens a quoted part unless it follows a letter (an apostrophe:
/// "airport's").
fn opens_quote(before: &str) -> bool {
    !before.chars().last().is_some_and(char::is_alphanumeric)
}

/// Skips to the closing `quote`, escapes included (serde quotes strings
/// with `{:?}`: an escaped quote does not end them).
fn skip_quoted(chars: &mut std::str::Chars<'_>, quote: char) {
    let mut escaped = false;
    for c in chars.by_ref() {
        match (escaped, c) {
            (false, '\\') => escaped = true,
            (false, c) if c == quote => return,
            _ => escaped = false,
        }
    }
}

/// At most [`MAX_CHARS`] printable characters.
fn bounded(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
