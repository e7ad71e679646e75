//! Personal data in message bodies on the broker. A body is an envelope
//! (one JSON object, see `autobook_contracts::envelope`); its personal
//! fields are the values under the [`PII_FIELDS`] keys anywhere in it, and
//! the payload's [`PAYLOAD_PERSONAL_FIELDS`] (an email's recipient). They
//! travel sealed, each for its key of [`Place::message`] (the row is the
//! envelope's `message_id` as written), so RabbitMQ's files and every copy
//! of a message (retries, dead letters) hold none in plaintext.
//!
//! - [`Keyring::seal_envelope`]: what a publisher sends (plaintext strings
//!   at personal fields sealed; the rest untouched);
//! - [`Keyring::open_envelope`]: what a consumer decodes; a personal field
//!   that is not sealed (any type), sealed without place, or sealed for
//!   another message is a [`BodyError`] naming its path, never its value;
//! - [`travels_sealed`]: whether a body can be copied as it is (a dead
//!   letter of one that cannot is sealed whole).
//!
//! Bodies that are not JSON objects, or are over the size limit, are left
//! to the decoder to refuse.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

use autobook_contracts::envelope::MAX_MESSAGE_BYTES;

use crate::error::VaultError;
use crate::json::personal_field;
use crate::keyring::Keyring;
use crate::place::Place;
use crate::text::{is_sealed, is_unplaced};

/// Keys of a message's payload (its top level) that are personal data
/// besides [`crate::PII_FIELDS`]: the recipient of an email.
pub const PAYLOAD_PERSONAL_FIELDS: &[&str] = &["to"];

/// Keys that lead to personal fields in the contracts: named in paths as
/// they are. Any other key is shown as `…`, so a path never quotes input.
const PATH_KEYS: &[&str] = &[
    "payload",
    "passengers",
    "details",
    "identity_document",
    "trip",
];

/// A personal field of a message body that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The field is plaintext (of any type): publishers seal personal
    /// fields with the data keyring.
    #[error("{path} is not sealed: personal fields travel sealed with the data keyring")]
    Unsealed { path: String },
    /// The field is sealed, but not for this message, or under a key this
    /// keyring does not hold.
    #[error("{path} cannot be opened: {source}")]
    Unopenable { path: String, source: VaultError },
    /// The field is sealed without its place (as values at rest were
    /// before): it could have been copied from anywhere.
    #[error("{path} is sealed without its place: a message carries values sealed for it")]
    Unplaced { path: String },
}

impl BodyError {
    /// A stable code for dead-letter headers and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            BodyError::Unsealed { .. } => "unsealed_personal_data",
            BodyError::Unopenable { .. } | BodyError::Unplaced { .. } => "unopenable_personal_data",
        }
    }
}

/// Where a value sits in a body, for error messages.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let known = PATH_KEYS.contains(key) || personal_field(key).is_some();
                out.push_str(if known { key } else { "…" });
            }
            Step::Index(index) => {
                let _ = write!(out, "[{index}]");
            }
        }
    }
    out
}

/// How deep a walk is: the envelope's own keys, the payload's, or below.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Envelope,
    Payload,
    Inner,
}

type Visit<'v, E> = dyn FnMut(&'static str, &[Step<'_>], &mut Value) -> Result<(), E> + 'v;

/// Calls `visit` with every value at a personal field (any type), its
/// field and its path; stops at the first error.
fn walk<'a, E>(
    value: &'a mut Value,
    level: Level,
    path: &mut Vec<Step<'a>>,
    visit: &mut Visit<'_, E>,
) -> Result<(), E> {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let field = personal_field(key).or_else(|| {
                    let payload_field = level == Level::Payload;
                    PAYLOAD_PERSONAL_FIELDS
                        .iter()
                        .copied()
                        .find(|f| payload_field && *f == key)
                });
                let below = match (level, key.as_str()) {
                    (Level::Envelope, "payload") => Level::Payload,
                    _ => Level::Inner,
                };
                path.push(Step::Key(key));
                let visited = match field {
                    Some(field) => visit(field, path, child),
                    None => walk(child, below, path, visit),
                };
                path.pop();
                visited?;
            }
            Ok(())
        }
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                path.push(Step::Index(index));
                let visited = walk(item, Level::Inner, path, visit);
                path.pop();
                visited?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The body as a JSON object and its message id as written (empty when
/// missing); `None` for a body the decoder will refuse anyway.
fn parse(body: &[u8]) -> Option<(Value, String)> {
    if body.len() > MAX_MESSAGE_BYTES {
        return None;
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    let message_id = value
        .as_object()?
        .get("message_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((value, message_id))
}

fn encode(value: &Value) -> Option<Vec<u8>> {
    serde_json::to_vec(value).ok()
}

/// Whether every personal field of `body` is sealed text, so that it can be
/// copied as it is. False for a body that is not a JSON object.
pub fn travels_sealed(body: &[u8]) -> bool {
    let Some((mut value, _)) = parse(body).filter(|(v, _)| v.is_object()) else {
        return false;
    };
    let walked = walk(
        &mut value,
        Level::Envelope,
        &mut Vec::new(),
        &mut |_, _, v| match v {
            Value::String(text) if is_sealed(text) => Ok(()),
            _ => Err(()),
        },
    );
    walked.is_ok()
}

impl Keyring {
    /// The body with every plaintext string at a personal field sealed for
    /// its message; unchanged when there is none (or it is not an
    /// envelope). Values of another type are left for the consumer to
    /// refuse.
    pub fn seal_envelope<'a>(&self, body: &'a [u8]) -> Cow<'a, [u8]> {
        let Some((mut value, message_id)) = parse(body) else {
            return Cow::Borrowed(body);
        };
        let place = Place::message(&message_id);
        let mut changed = false;
        let walked: Result<(), std::convert::Infallible> = walk(
            &mut value,
            Level::Envelope,
            &mut Vec::new(),
            &mut |field, _, v| {
                if let Value::String(text) = v
                    && !is_sealed(text)
                {
                    *text = self.seal_str(text, &place, field);
                    changed = true;
                }
                Ok(())
            },
        );
        match (walked, changed) {
            (Ok(()), true) => encode(&value).map_or(Cow::Borrowed(body), Cow::Owned),
            (Ok(()), false) => Cow::Borrowed(body),
        }
    }

    /// The body with its personal fields opened, for the decoder. Every
    /// personal field must be text sealed with its place for this message.
    pub fn open_envelope<'a>(&self, body: &'a [u8]) -> Result<Cow<'a, [u8]>, BodyError> {
        let Some((mut value, message_id)) = parse(body) else {
            return Ok(Cow::Borrowed(body));
        };
        let place = Place::message(&message_id);
        let mut opened = false;
        walk(
            &mut value,
            Level::Envelope,
            &mut Vec::new(),
            &mut |field, path, v| {
                let Value::String(text) = v else {
                    return Err(BodyError::Unsealed { path: render(path) });
                };
                if !is_sealed(text) {
                    return Err(BodyError::Unsealed { path: render(path) });
                }
                if is_unplaced(text) {
                    return Err(BodyError::Unplaced { path: render(path) });
                }
                *text =
                    self.open_str(text, &place, field)
                        .map_err(|source| BodyError::Unopenable {
                            path: render(path),
                            source,
                        })?;
                opened = true;
                Ok(())
            },
        )?;
        Ok(match opened.then(|| encode(&value)).flatten() {
            Some(bytes) => Cow::Owned(bytes),
            None => Cow::Borrowed(body),
        })
    }
}
