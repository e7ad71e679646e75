//! Personal data of travellers: names, email addresses, phone numbers,
//! identity documents ([`identity`]), passengers.
//!
//! These types parse strictly (length limits, no control characters) and
//! their `Debug` output is redacted, so a stray `{:?}` in a log line cannot
//! leak a traveller's identity.

mod identity;

use std::fmt;

pub use identity::{DocumentNumber, DocumentType, IdentityDocument, IssuingCountry};

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a piece of personal data was rejected. Never quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonalDataError {
    #[error("name must be 1 to 50 letters, spaces, hyphens, apostrophes or periods")]
    InvalidName,
    #[error("email address is not a valid address of at most 254 characters")]
    InvalidEmail,
    #[error("phone number must be in E.164 form: + followed by 8 to 15 digits")]
    InvalidPhone,
    #[error("document number must be 5 to 20 uppercase letters or digits")]
    InvalidDocumentNumber,
    #[error("issuing country must be an ISO 3166-1 alpha-2 code")]
    InvalidCountry,
}

macro_rules! personal_type {
    ($(#[$doc:meta])* $name:ident, $schema:literal, $parse:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "description": $schema })
            }
        }

        impl $name {
            pub fn parse(input: &str) -> Result<Self, PersonalDataError> {
                $parse(input).map(|s| $name(s))
            }

            /// The raw value, for the provider call that needs it. Never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

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
    };
}

fn parse_name(input: &str) -> Result<String, PersonalDataError> {
    let trimmed = input.trim();
    let count = trimmed.chars().count();
    let allowed = |c: char| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.';
    if (1..=50).contains(&count)
        && trimmed.chars().all(allowed)
        && trimmed.chars().any(char::is_alphabetic)
    {
        Ok(trimmed.to_owned())
    } else {
        Err(PersonalDataError::InvalidName)
    }
}

fn parse_email(input: &str) -> Result<String, PersonalDataError> {
    let bad = || PersonalDataError::InvalidEmail;
    if input.len() > 254
        || input
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
    {
        return Err(bad());
    }
    let (local, domain) = input.split_once('@').ok_or_else(bad)?;
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || !labels_ok
    {
        return Err(bad());
    }
    Ok(input.to_owned())
}

fn parse_phone(input: &str) -> Result<String, PersonalDataError> {
    match input.strip_prefix('+') {
        Some(digits)
            if (8..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0') =>
        {
            Ok(input.to_owned())
        }
        _ => Err(PersonalDataError::InvalidPhone),
    }
}

personal_type!(
    /// A given or family name as printed on the travel document.
    PersonName, "1 to 50 letters, spaces, hyphens, apostrophes or periods", parse_name
);
personal_type!(
    /// An email address.
    EmailAddress, "an email address of at most 254 characters", parse_email
);
personal_type!(
    /// A phone number in E.164 form (+442080160508).
    PhoneNumber, "E.164 phone number: + followed by 8 to 15 digits", parse_phone
);

/// What erasure leaves in place of personal data: values that still parse
/// as the contract types (so an erased saga still loads) and name nobody.
pub mod erased {
    /// In place of a given or family name.
    pub const NAME: &str = "Erased";
    /// In place of a date of birth.
    pub const BORN_ON: &str = "1900-01-01";
    /// In place of an email address (`.invalid` never resolves).
    pub const EMAIL: &str = "erased@erased.invalid";
    /// In place of a phone number.
    pub const PHONE: &str = "+10000000000";
    /// In place of an identity document's number.
    pub const DOCUMENT_NUMBER: &str = "ERASED";
    /// In place of a document's issuing country: user-assigned, never a
    /// real country, refused in a new trip.
    pub const COUNTRY: &str = "XX";
    /// In place of a document's expiry date.
    pub const EXPIRES_ON: &str = "1900-01-01";

    /// Whether `value` is one of the placeholders.
    pub fn is_placeholder(value: &str) -> bool {
        [
            NAME,
            BORN_ON,
            EMAIL,
            PHONE,
            DOCUMENT_NUMBER,
            COUNTRY,
            EXPIRES_ON,
        ]
        .contains(&value)
    }
}

/// Gender as airlines record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    M,
    F,
}

/// Title as airlines record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Title {
    Mr,
    Ms,
    Mrs,
    Miss,
    Dr,
}

/// One traveller on the trip.
#[derive(Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Passenger {
    pub title: Title,
    pub gender: Gender,
    pub given_name: PersonName,
    pub family_name: PersonName,
    /// Date of birth, YYYY-MM-DD.
    pub born_on: NaiveDate,
    pub email: EmailAddress,
    pub phone_number: PhoneNumber,
    /// A passport, for airlines that want one with the order. Offers that
    /// require documents are only booked when every passenger carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_document: Option<IdentityDocument>,
}

/// Below this age (at departure) a passenger is an infant and travels on an
/// adult's lap.
pub const INFANT_UNDER: i32 = 2;
/// From this age (at departure) a passenger is an adult.
pub const ADULT_FROM: i32 = 18;

impl Passenger {
    /// Age in whole years on the given date.
    pub fn age_on(&self, date: NaiveDate) -> i32 {
        date.years_since(self.born_on).map_or(-1, |y| y as i32)
    }

    /// Under 2 on `date`: travels on an adult's lap.
    pub fn is_infant_on(&self, date: NaiveDate) -> bool {
        self.age_on(date) < INFANT_UNDER
    }

    /// 18 or over on `date`.
    pub fn is_adult_on(&self, date: NaiveDate) -> bool {
        self.age_on(date) >= ADULT_FROM
    }
}

impl fmt::Debug for Passenger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passenger(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_accept_real_names_and_reject_hostile_strings() {
        for ok in [
            "Amelia",
            "Jean-Luc",
            "O'Brien",
            "Zoë",
            "Nguyễn Văn",
            "St. John",
            "  Padded  ",
        ] {
            assert!(PersonName::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "   ",
            "Robert'); DROP TABLE sagas;--",
            "<script>",
            "a\u{0}b",
            "x".repeat(51).as_str(),
            "123",
            "--",
        ] {
            assert!(PersonName::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PersonName::parse("  Padded ").unwrap().expose(), "Padded");
    }

    #[test]
    fn emails_and_phones() {
        assert!(EmailAddress::parse("amelia@example.com").is_ok());
        for bad in [
            "",
            "no-at-sign",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@-b.com",
            "<a@b.com>",
            "a@b..com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
        assert!(PhoneNumber::parse("+442080160508").is_ok());
        for bad in ["442080160508", "+44 20 8016", "+0123456789", "+1234567"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_personal_data() {
        let p: Passenger = serde_json::from_value(serde_json::json!({
            "title": "ms", "gender": "f", "given_name": "Amelia", "family_name": "Earhart",
            "born_on": "1987-07-24", "email": "amelia@example.com", "phone_number": "+442080160508"
        }))
        .unwrap();
        let shown = format!("{p:?} {:?} {:?}", p.given_name, p.email);
        assert!(
            !shown.contains("Amelia") && !shown.contains("example.com"),
            "{shown}"
        );
    }

    #[test]
    fn erased_placeholders_parse_as_the_contract_types() {
        let p: Passenger = serde_json::from_value(serde_json::json!({
            "title": "mr", "gender": "m", "given_name": erased::NAME, "family_name": erased::NAME,
            "born_on": erased::BORN_ON, "email": erased::EMAIL, "phone_number": erased::PHONE
        }))
        .unwrap();
        assert_eq!(p.given_name.expose(), erased::NAME);
        assert_eq!(p.email.expose(), erased::EMAIL);
        assert_eq!(p.phone_number.expose(), erased::PHONE);
        assert_eq!(p.born_on.to_string(), erased::BORN_ON);
        assert!(erased::is_placeholder(erased::EMAIL) && !erased::is_placeholder("Amelia"));
        let document: IdentityDocument = serde_json::from_value(serde_json::json!({
            "type": "passport", "unique_identifier": erased::DOCUMENT_NUMBER,
            "issuing_country_code": erased::COUNTRY, "expires_on": erased::EXPIRES_ON
        }))
        .unwrap();
        assert_eq!(document.unique_identifier.expose(), erased::DOCUMENT_NUMBER);
        assert_eq!(document.expires_on.to_string(), erased::EXPIRES_ON);
    }

    #[test]
    fn rejection_messages_do_not_quote_input() {
        let err = serde_json::from_str::<PersonName>("\"<b>Secret</b>\"")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("Secret"), "{err}");
    }
}
