//! Money as integer minor units with an ISO 4217 currency.
//!
//! Providers speak decimal strings ("351.30"); everything inside autobook
//! holds `i64` minor units so that sums and comparisons are exact. Parsing and
//! formatting between the two live here and nowhere else.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code: three ASCII uppercase letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 currency code" })
    }
}

impl Currency {
    pub const USD: Currency = Currency(*b"USD");
    pub const EUR: Currency = Currency(*b"EUR");
    pub const GBP: Currency = Currency(*b"GBP");

    /// Parses a three-letter uppercase code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(MoneyError::InvalidCurrency)
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII uppercase bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Digits after the decimal point for this currency (ISO 4217 minor unit).
    pub fn exponent(&self) -> u32 {
        match &self.0 {
            b"BIF" | b"CLP" | b"DJF" | b"GNF" | b"ISK" | b"JPY" | b"KMF" | b"KRW" | b"PYG"
            | b"RWF" | b"UGX" | b"UYI" | b"VND" | b"VUV" | b"XAF" | b"XOF" | b"XPF" => 0,
            b"BHD" | b"IQD" | b"JOD" | b"KWD" | b"LYD" | b"OMR" | b"TND" => 3,
            _ => 2,
        }
    }

    /// Lowercase form, as Stripe expects it on the wire.
    pub fn lowercase(&self) -> String {
        self.as_str().to_ascii_lowercase()
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

/// An amount of money in minor units (cents for USD).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Amount in the currency's minor unit (for USD: cents). Never negative.
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Money {
            amount_minor,
            currency,
        }
    }

    /// Parses a provider decimal string such as "351.30" into minor units.
    /// Rejects signs, exponents, more decimals than the currency allows and
    /// anything that would overflow.
    pub fn from_decimal(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        let exponent = currency.exponent();
        let invalid = || MoneyError::InvalidAmount;
        let (whole, fraction) = match amount.split_once('.') {
            Some((w, f)) => (w, f),
            None => (amount, ""),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) {
            return Err(invalid());
        }
        if amount.contains('.') && fraction.is_empty() {
            return Err(invalid());
        }
        let significant = fraction.trim_end_matches('0');
        if significant.len() as u32 > exponent {
            return Err(invalid());
        }
        let scale = 10_i64.pow(exponent);
        let whole_value: i64 = whole.parse().map_err(|_| invalid())?;
        let mut fraction_value: i64 = 0;
        for (i, b) in significant.bytes().enumerate() {
            let digit = i64::from(b - b'0');
            fraction_value += digit * 10_i64.pow(exponent - 1 - i as u32);
        }
        let minor = whole_value
            .checked_mul(scale)
            .and_then(|v| v.checked_add(fraction_value))
            .ok_or_else(invalid)?;
        Ok(Money::new(minor, currency))
    }

    /// Formats as a provider decimal string with the currency's exponent.
    pub fn to_decimal(&self) -> String {
        let exponent = self.currency.exponent();
        if exponent == 0 {
            return self.amount_minor.to_string();
        }
        let scale = 10_i64.pow(exponent);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale,
            abs % scale,
            width = exponent as usize
        )
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal(), self.currency)
    }
}

/// Why an amount or a currency was refused: what was expected, never the
/// input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("invalid currency code: expected three uppercase letters (ISO 4217)")]
    InvalidCurrency,
    #[error("invalid amount: expected a plain decimal such as 351.30")]
    InvalidAmount,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_strings_exactly() {
        let usd = Currency::USD;
        assert_eq!(
            Money::from_decimal("351.30", usd).unwrap().amount_minor,
            35130
        );
        assert_eq!(
            Money::from_decimal("351.3", usd).unwrap().amount_minor,
            35130
        );
        assert_eq!(Money::from_decimal("0.07", usd).unwrap().amount_minor, 7);
        assert_eq!(Money::from_decimal("12", usd).unwrap().amount_minor, 1200);
        assert_eq!(Money::from_decimal("1.500", usd).unwrap().amount_minor, 150);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(
            Money::from_decimal("12000", jpy).unwrap().amount_minor,
            12000
        );
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(
            Money::from_decimal("1.234", kwd).unwrap().amount_minor,
            1234
        );
    }

    #[test]
    fn rejects_malformed_amounts() {
        let usd = Currency::USD;
        for bad in [
            "",
            "-1.00",
            "+1",
            "1e3",
            "1.001",
            "1.",
            ".5",
            "1,00",
            " 1",
            "99999999999999999999",
        ] {
            assert!(Money::from_decimal(bad, usd).is_err(), "accepted {bad:?}");
        }
        assert!(Money::from_decimal("1.5", Currency::parse("JPY").unwrap()).is_err());
    }

    #[test]
    fn formats_back_to_decimal() {
        assert_eq!(Money::new(35130, Currency::USD).to_decimal(), "351.30");
        assert_eq!(Money::new(7, Currency::USD).to_decimal(), "0.07");
        assert_eq!(
            Money::new(12000, Currency::parse("JPY").unwrap()).to_decimal(),
            "12000"
        );
        assert_eq!(
            Money::new(1234, Currency::parse("KWD").unwrap()).to_decimal(),
            "1.234"
        );
    }

    #[test]
    fn currency_must_be_uppercase_iso() {
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("USDX").is_err());
        assert_eq!(Currency::USD.lowercase(), "usd");
    }

    #[test]
    fn hostile_input_is_truncated_in_errors() {
        let long = "9".repeat(500) + "\u{0}";
        let err = Money::from_decimal(&long, Currency::USD)
            .unwrap_err()
            .to_string();
        assert!(err.len() < 120, "{err}");
    }
}
