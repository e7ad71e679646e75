//! Personal data inside JSON documents (the saga's trip request): the
//! string values of the [`PII_FIELDS`] keys, wherever they sit in the tree,
//! are sealed one by one, each for its key of the document's place, so the
//! document keeps its shape and its other fields stay queryable.

use std::collections::BTreeSet;
use std::convert::Infallible;

use autobook_contracts::personal::erased;
use serde_json::Value;

use crate::error::VaultError;
use crate::keyring::Keyring;
use crate::place::Place;
use crate::text::{is_sealed, is_unplaced, sealed_kid};

/// The keys whose string values are personal data.
pub const PII_FIELDS: &[&str] = &[
    "given_name",
    "family_name",
    "born_on",
    "email",
    "phone_number",
    "contact_email",
    "unique_identifier",
    "issuing_country_code",
    "expires_on",
];

/// What erasure puts in place of a field's value; `None` for a field that
/// is not personal data.
pub fn placeholder_for(field: &str) -> Option<&'static str> {
    match field {
        "given_name" | "family_name" => Some(erased::NAME),
        "born_on" => Some(erased::BORN_ON),
        "email" | "contact_email" => Some(erased::EMAIL),
        "phone_number" => Some(erased::PHONE),
        "unique_identifier" => Some(erased::DOCUMENT_NUMBER),
        "issuing_country_code" => Some(erased::COUNTRY),
        "expires_on" => Some(erased::EXPIRES_ON),
        _ => None,
    }
}

/// The personal-data field `key` names, if it names one.
pub(crate) fn personal_field(key: &str) -> Option<&'static str> {
    PII_FIELDS.iter().copied().find(|field| *field == key)
}

/// Calls `visit` with every string value under a personal-data key, and
/// that key; stops at the first error.
fn walk_pii<E>(
    value: &mut Value,
    visit: &mut dyn FnMut(&'static str, &mut String) -> Result<(), E>,
) -> Result<(), E> {
    match value {
        Value::Object(map) => {
            map.iter_mut()
                .try_for_each(|(key, child)| match (personal_field(key), child) {
                    (Some(field), Value::String(text)) => visit(field, text),
                    (_, child) => walk_pii(child, visit),
                })
        }
        Value::Array(items) => items.iter_mut().try_for_each(|item| walk_pii(item, visit)),
        _ => Ok(()),
    }
}

/// Plaintext personal data: not sealed and not an erasure placeholder.
fn is_plaintext_pii(text: &str) -> bool {
    !is_sealed(text) && !erased::is_placeholder(text)
}

/// Replaces every personal-data value with its erased placeholder, sealed
/// or not. The result still parses as the contract types.
pub fn redact_json(mut value: Value) -> Value {
    let redacted: Result<(), Infallible> = walk_pii(&mut value, &mut |field, text| {
        if let Some(placeholder) = placeholder_for(field) {
            *text = placeholder.to_owned();
        }
        Ok(())
    });
    match redacted {
        Ok(()) => value,
    }
}

/// Calls `visit` with every string value and the key it sits under (none
/// for an array item or the root).
fn read_strings<'a>(
    value: &'a Value,
    key: Option<&'a str>,
    visit: &mut dyn FnMut(Option<&str>, &str),
) {
    match value {
        Value::String(text) => visit(key, text),
        Value::Object(map) => map
            .iter()
            .for_each(|(key, child)| read_strings(child, Some(key), visit)),
        Value::Array(items) => items
            .iter()
            .for_each(|item| read_strings(item, None, visit)),
        _ => {}
    }
}

/// The key ids of every sealed string in the document.
pub fn json_kids(value: &Value) -> BTreeSet<String> {
    let mut kids = BTreeSet::new();
    read_strings(value, None, &mut |_, text| {
        if let Some(kid) = sealed_kid(text) {
            kids.insert(kid.to_owned());
        }
    });
    kids
}

/// Whether any string in the document was sealed without its place.
pub fn json_holds_unplaced(value: &Value) -> bool {
    let mut found = false;
    read_strings(value, None, &mut |_, text| found |= is_unplaced(text));
    found
}

/// Whether any personal-data value in the document is plaintext.
pub fn json_holds_plaintext_pii(value: &Value) -> bool {
    let mut found = false;
    read_strings(value, None, &mut |key, text| {
        found |= key.is_some_and(|key| PII_FIELDS.contains(&key)) && is_plaintext_pii(text);
    });
    found
}

impl Keyring {
    /// Seals every plaintext personal-data value under the active key, each
    /// for its field (its key) of `place`. Values already sealed and
    /// erasure placeholders are left as they are.
    pub fn seal_json(&self, value: &Value, place: &Place) -> Value {
        let mut value = value.clone();
        let sealed: Result<(), Infallible> = walk_pii(&mut value, &mut |field, text| {
            if is_plaintext_pii(text) {
                *text = self.seal_str(text, place, field);
            }
            Ok(())
        });
        match sealed {
            Ok(()) => value,
        }
    }

    /// Opens every sealed personal-data value of the document, under any
    /// key, each at its field (its key) of `place`.
    pub fn open_json(&self, mut value: Value, place: &Place) -> Result<Value, VaultError> {
        walk_pii(&mut value, &mut |field, text| {
            if is_sealed(text) {
                *text = self.open_str(text, place, field)?;
            }
            Ok(())
        })?;
        Ok(value)
    }

    /// The document with every personal-data value sealed under the active
    /// key with its place: `None` when it already is, otherwise values under
    /// other keys or without place opened and sealed again, and plaintext
    /// sealed.
    pub fn reseal_json(
        &self,
        mut value: Value,
        place: &Place,
    ) -> Result<Option<Value>, VaultError> {
        let mut changed = false;
        walk_pii(&mut value, &mut |field, text| {
            if let Some(resealed) = self.reseal_str(text, place, field)? {
                *text = resealed;
                changed = true;
            }
            Ok(())
        })?;
        Ok(changed.then_some(value))
    }
}
