//! Stripe's form encoding: `application/x-www-form-urlencoded` with nested
//! keys in brackets (`metadata[saga_id]=...`, `payment_method_types[]=card`).

use std::collections::BTreeMap;

use crate::providers::error::ProviderError;

/// Stripe's limits on metadata.
pub const METADATA_MAX_ENTRIES: usize = 50;
pub const METADATA_MAX_KEY_CHARS: usize = 40;
pub const METADATA_MAX_VALUE_CHARS: usize = 500;

/// An ordered list of form fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormBody {
    pairs: Vec<(String, String)>,
}

impl FormBody {
    pub fn new() -> Self {
        FormBody::default()
    }

    /// `key=value`.
    pub fn field(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.pairs.push((key.to_owned(), value.into()));
        self
    }

    /// `key[]=value` for each value.
    pub fn list<'a>(&mut self, key: &str, values: impl IntoIterator<Item = &'a str>) -> &mut Self {
        for value in values {
            self.pairs.push((format!("{key}[]"), value.to_owned()));
        }
        self
    }

    /// `metadata[name]=value` for each entry, within Stripe's limits. Names
    /// may not contain brackets (they would change the nesting).
    pub fn metadata(
        &mut self,
        entries: &BTreeMap<String, String>,
    ) -> Result<&mut Self, ProviderError> {
        if entries.len() > METADATA_MAX_ENTRIES {
            return Err(ProviderError::invalid_request(
                "Stripe metadata allows at most 50 entries",
            ));
        }
        for (name, value) in entries {
            let name_ok = !name.is_empty()
                && name.chars().count() <= METADATA_MAX_KEY_CHARS
                && !name.contains(['[', ']']);
            if !name_ok || value.chars().count() > METADATA_MAX_VALUE_CHARS {
                return Err(ProviderError::invalid_request(
                    "Stripe metadata keys need 1 to 40 characters without brackets, values at most 500",
                ));
            }
            self.pairs
                .push((format!("metadata[{name}]"), value.clone()));
        }
        Ok(self)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The percent-encoded body (brackets are encoded too, as `%5B` `%5D`).
    pub fn encode(&self) -> Result<String, ProviderError> {
        serde_urlencoded::to_string(&self.pairs)
            .map_err(|_| ProviderError::invalid_request("form body could not be encoded"))
    }
}
