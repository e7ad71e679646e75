//! Small validated identifiers: place and airline codes, user ids, payment
//! tokens. Each can only be built by parsing, so an invalid one cannot exist.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a code failed to parse: what was expected, never the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {expected}")]
pub struct CodeError {
    pub what: &'static str,
    pub expected: &'static str,
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $expected:literal, $pattern:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "pattern": $pattern, "description": $expected })
            }
        }

        impl $name {
            pub fn parse(input: &str) -> Result<Self, CodeError> {
                let check: fn(&str) -> bool = $check;
                if check(input) {
                    Ok($name(input.to_owned()))
                } else {
                    Err(CodeError { what: $what, expected: $expected })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = CodeError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
    };
}

fn all_upper(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn token(s: &str, prefix: &str, max: usize) -> bool {
    s.len() <= max
        && s.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

code_type!(
    /// An IATA airport code (JFK) or metropolitan city code (NYC).
    PlaceCode, "place code", "three uppercase letters (IATA airport or city code)", r"^[A-Z]{3}$",
    |s| all_upper(s, 3)
);

code_type!(
    /// A two-character IATA airline designator (BA, U2, ZZ).
    AirlineCode, "airline code", "two uppercase letters or digits (IATA designator)", r"^[A-Z0-9]{2}$",
    |s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
);

/// How the pseudonym an erased user's kept records carry begins
/// (`erased:<hex>`). A user id of that form names no traveller: a token for
/// it is refused.
pub const ERASED_USER_PREFIX: &str = "erased:";

code_type!(
    /// An opaque identifier of the traveller's account. Never an email or a
    /// name: it appears in logs and metrics.
    UserId, "user id", "1 to 128 characters of A-Z a-z 0-9 _ - . :", r"^[A-Za-z0-9_.:-]{1,128}$",
    |s| !s.is_empty() && s.len() <= 128 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
);

code_type!(
    /// A Stripe payment method token (pm_card_visa, pm_1Nx...).
    PaymentMethodId, "payment method", "a Stripe payment method id such as pm_card_visa", r"^pm_[A-Za-z0-9_]{1,252}$",
    |s| token(s, "pm_", 255)
);

code_type!(
    /// A Stripe customer id (cus_...).
    CustomerId, "customer id", "a Stripe customer id such as cus_NffrFeUfNV2Hib", r"^cus_[A-Za-z0-9_]{1,251}$",
    |s| token(s, "cus_", 255)
);

impl UserId {
    /// Whether this is an erased user's pseudonym rather than a traveller.
    pub fn is_pseudonym(&self) -> bool {
        self.0.starts_with(ERASED_USER_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_only_their_shape() {
        assert!(PlaceCode::parse("JFK").is_ok());
        assert!(PlaceCode::parse("jfk").is_err());
        assert!(PlaceCode::parse("JFKX").is_err());
        assert!(AirlineCode::parse("U2").is_ok());
        assert!(AirlineCode::parse("BAW").is_err());
        assert!(UserId::parse("usr_123:abc").is_ok());
        assert!(UserId::parse("someone@example.com").is_err());
        assert!(UserId::parse("").is_err());
        assert!(PaymentMethodId::parse("pm_card_visa").is_ok());
        assert!(PaymentMethodId::parse("pm_").is_err());
        assert!(PaymentMethodId::parse("card_visa").is_err());
        assert!(PaymentMethodId::parse("pm_x;DROP TABLE").is_err());
        assert!(CustomerId::parse("cus_NffrFeUfNV2Hib").is_ok());
    }

    #[test]
    fn codes_deserialize_with_clear_errors() {
        let err = serde_json::from_str::<PlaceCode>("\"J\\u0000K\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("three uppercase letters"), "{err}");
    }
}
