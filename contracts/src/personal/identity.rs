//! A passenger's identity document, for the airlines that want one with
//! the order (Duffel's `passenger_identity_documents_required`).
//!
//! Every part is personal data: the number and the issuing country parse
//! strictly, their errors never quote the input, and `Debug` prints
//! nothing of them. Whether the document is still valid for the trip (its
//! expiry after the last travel date) is a rule of the trip, checked by
//! [`crate::trip::TripRequest::validate`].

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{PersonalDataError, erased};
use crate::catalogue;

/// The kind of document. Only passports are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DocumentType {
    Passport,
}

impl DocumentType {
    /// As Duffel spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentType::Passport => "passport",
        }
    }
}

/// A travel document number: 5 to 20 uppercase letters or digits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentNumber(String);

impl DocumentNumber {
    pub fn parse(input: &str) -> Result<Self, PersonalDataError> {
        let ok = (5..=20).contains(&input.len())
            && input
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if ok {
            Ok(DocumentNumber(input.to_owned()))
        } else {
            Err(PersonalDataError::InvalidDocumentNumber)
        }
    }

    /// The raw value, for the provider call that needs it. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The country that issued a document: an assigned ISO 3166-1 alpha-2
/// code, or the placeholder erasure leaves ([`erased::COUNTRY`]), which
/// parses so that an erased trip still loads but is refused by trip
/// validation.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IssuingCountry(String);

impl IssuingCountry {
    pub fn parse(input: &str) -> Result<Self, PersonalDataError> {
        if catalogue::is_country_code(input) || input == erased::COUNTRY {
            Ok(IssuingCountry(input.to_owned()))
        } else {
            Err(PersonalDataError::InvalidCountry)
        }
    }

    /// The raw value, for the provider call that needs it. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether this is an assigned country code (not the erasure placeholder).
    pub fn is_assigned(&self) -> bool {
        catalogue::is_country_code(&self.0)
    }
}

macro_rules! string_newtype {
    ($name:ident, $pattern:literal, $description:literal) => {
        impl TryFrom<String> for $name {
            type Error = PersonalDataError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($name))
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string", "pattern": $pattern, "description": $description
                })
            }
        }
    };
}

string_newtype!(
    DocumentNumber,
    r"^[A-Z0-9]{5,20}$",
    "the document number: 5 to 20 uppercase letters or digits"
);
string_newtype!(
    IssuingCountry,
    r"^[A-Z]{2}$",
    "the issuing country: an ISO 3166-1 alpha-2 code (GB, US, ...)"
);

/// A passport, as airlines take it with an order.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityDocument {
    /// Only `passport`.
    #[serde(rename = "type")]
    pub kind: DocumentType,
    pub unique_identifier: DocumentNumber,
    pub issuing_country_code: IssuingCountry,
    /// Expiry date, YYYY-MM-DD; must fall after the trip's last travel date.
    #[schemars(with = "String", pattern(r"^\d{4}-\d{2}-\d{2}$"))]
    pub expires_on: NaiveDate,
}

impl fmt::Debug for IdentityDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityDocument(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document(edit: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
        let mut value = json!({
            "type": "passport", "unique_identifier": "K12345678",
            "issuing_country_code": "GB", "expires_on": "2031-05-20"
        });
        edit(&mut value);
        value
    }

    #[test]
    fn a_passport_parses_and_debug_shows_nothing_of_it() {
        let parsed: IdentityDocument = serde_json::from_value(document(|_| {})).unwrap();
        assert_eq!(parsed.kind, DocumentType::Passport);
        assert_eq!(parsed.unique_identifier.expose(), "K12345678");
        assert_eq!(parsed.issuing_country_code.expose(), "GB");
        assert!(parsed.issuing_country_code.is_assigned());
        let shown = format!(
            "{parsed:?} {:?} {:?}",
            parsed.unique_identifier, parsed.issuing_country_code
        );
        assert!(
            !shown.contains("K12345678") && !shown.contains("GB") && !shown.contains("2031"),
            "{shown}"
        );
    }

    #[test]
    fn numbers_are_5_to_20_uppercase_letters_or_digits() {
        for ok in ["12345", "K1234567", "ABCDEFGHIJ0123456789"] {
            assert!(DocumentNumber::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "1234",
            "ABCDEFGHIJ01234567890",
            "k1234567",
            "K 123456",
            "K-123456",
            "K12345É",
            "",
        ] {
            assert_eq!(
                DocumentNumber::parse(bad),
                Err(PersonalDataError::InvalidDocumentNumber),
                "{bad}"
            );
        }
    }

    #[test]
    fn countries_are_assigned_iso_codes() {
        for bad in ["UK", "gb", "GBR", "G", "", "EU"] {
            assert_eq!(
                IssuingCountry::parse(bad),
                Err(PersonalDataError::InvalidCountry),
                "{bad}"
            );
        }
        let placeholder = IssuingCountry::parse(erased::COUNTRY).unwrap();
        assert!(!placeholder.is_assigned());
    }

    #[test]
    fn refusals_name_the_rule_never_the_value() {
        for (edit, secret) in [
            (
                document(|v| v["unique_identifier"] = json!("secret-no")),
                "secret",
            ),
            (document(|v| v["issuing_country_code"] = json!("QQ")), "QQ"),
        ] {
            let error = serde_json::from_value::<IdentityDocument>(edit)
                .unwrap_err()
                .to_string();
            assert!(!error.contains(secret), "{error}");
        }
        assert!(
            serde_json::from_value::<IdentityDocument>(document(|v| v["type"] = json!("visa")))
                .is_err()
        );
        assert!(
            serde_json::from_value::<IdentityDocument>(
                document(|v| v["nationality"] = json!("GB"))
            )
            .is_err(),
            "unknown fields are refused"
        );
    }
}
