//! Personal data inside JSON documents (the saga's trip request): the
//! string values of the [`PII_FIELDS`] keys, wherever they sit in the tree,
//! are sealed one by one, so the document keeps its shape and its other
//! fields stay queryable.

use std::collections::BTreeSet;

use autobook_contracts::personal::erased;
use serde_json::Value;

use crate::error::VaultError;
use crate::keyring::Keyring;
use crate::text::{is_sealed, sealed_kid};

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

/// Calls `visit` with every string value under a personal-data key.
fn walk_pii(value: &mut Value, visit: &mut dyn FnMut(&str, &mut String)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if PII_FIELDS.contains(&key.as_str()) => visit(key, text),
                    _ => walk_pii(child, visit),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| walk_pii(item, visit)),
        _ => {}
    }
}

/// Calls `visit` with every string value, under any key.
fn walk_strings<E>(
    value: &mut Value,
    visit: &mut dyn FnMut(&mut String) -> Result<(), E>,
) -> Result<(), E> {
    match value {
        Value::String(text) => visit(text),
        Value::Object(map) => map
            .values_mut()
            .try_for_each(|child| walk_strings(child, visit)),
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|item| walk_strings(item, visit)),
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
    walk_pii(&mut value, &mut |key, text| {
        if let Some(placeholder) = placeholder_for(key) {
            *text = placeholder.to_owned();
        }
    });
    value
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

/// Whether any personal-data value in the document is plaintext.
pub fn json_holds_plaintext_pii(value: &Value) -> bool {
    let mut found = false;
    read_strings(value, None, &mut |key, text| {
        found |= key.is_some_and(|key| PII_FIELDS.contains(&key)) && is_plaintext_pii(text);
    });
    found
}

impl Keyring {
    /// Seals every plaintext personal-data value under the active key.
    /// Values already sealed and erasure placeholders are left as they are.
    pub fn seal_json(&self, value: &Value) -> Value {
        let mut value = value.clone();
        walk_pii(&mut value, &mut |_, text| {
            if is_plaintext_pii(text) {
                *text = self.seal_str(text);
            }
        });
        value
    }

    /// Opens every sealed string in the document, under any key.
    pub fn open_json(&self, mut value: Value) -> Result<Value, VaultError> {
        walk_strings(&mut value, &mut |text| {
            if is_sealed(text) {
                *text = self.open_str(text)?;
            }
            Ok(())
        })?;
        Ok(value)
    }

    /// The document with every personal-data value sealed under the active
    /// key: `None` when it already is, otherwise values under other keys
    /// opened and sealed again, and plaintext sealed.
    pub fn reseal_json(&self, mut value: Value) -> Result<Option<Value>, VaultError> {
        let mut changed = false;
        walk_strings(&mut value, &mut |text| {
            if sealed_kid(text).is_some_and(|kid| kid != self.active_kid()) {
                *text = self.seal_str(&self.open_str(text)?);
                changed = true;
            }
            Ok(())
        })?;
        walk_pii(&mut value, &mut |_, text| {
            if is_plaintext_pii(text) {
                *text = self.seal_str(text);
                changed = true;
            }
        });
        Ok(changed.then_some(value))
    }
}
