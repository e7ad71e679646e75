//! Stripe request bodies: `application/x-www-form-urlencoded` with bracket
//! keys. `metadata[k]=v` becomes metadata, `name[]=v` and `name[0]=v` lists,
//! anything else a scalar (nested keys such as `a[b]` kept whole).

use std::collections::BTreeMap;

use super::errors::StripeError;

const MAX_METADATA_KEYS: usize = 50;

/// A parsed form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    pub(crate) scalars: BTreeMap<String, String>,
    pub(crate) metadata: BTreeMap<String, String>,
    pub(crate) lists: BTreeMap<String, Vec<String>>,
    /// Every pair as sent, sorted: the request's fingerprint.
    sorted_pairs: Vec<(String, String)>,
}

impl Form {
    pub(crate) fn parse(body: &[u8]) -> Result<Form, StripeError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
            StripeError::bad_request(
                "Invalid request body: expected application/x-www-form-urlencoded parameters.",
            )
        })?;
        let mut form = Form::default();
        for (key, value) in &pairs {
            form.add(key, value)?;
        }
        form.sorted_pairs = pairs;
        form.sorted_pairs.sort();
        Ok(form)
    }

    fn add(&mut self, key: &str, value: &str) -> Result<(), StripeError> {
        let Some((name, rest)) = key.split_once('[') else {
            self.scalars.insert(key.to_owned(), value.to_owned());
            return Ok(());
        };
        let inner = rest.strip_suffix(']').unwrap_or(rest);
        if name == "metadata" {
            if inner.is_empty() || inner.contains(['[', ']']) || inner.chars().count() > 40 {
                return Err(StripeError::invalid(
                    "parameter_invalid_string",
                    "metadata",
                    "Metadata keys must be 1 to 40 characters without brackets.",
                ));
            }
            if value.chars().count() > 500 {
                return Err(StripeError::invalid(
                    "parameter_invalid_string",
                    "metadata",
                    "Metadata values can have up to 500 characters.",
                ));
            }
            if value.is_empty() {
                self.metadata.remove(inner);
            } else {
                self.metadata.insert(inner.to_owned(), value.to_owned());
            }
            if self.metadata.len() > MAX_METADATA_KEYS {
                return Err(StripeError::invalid(
                    "parameter_invalid_string",
                    "metadata",
                    "Metadata can have up to 50 keys.",
                ));
            }
            return Ok(());
        }
        if inner.is_empty() || inner.bytes().all(|b| b.is_ascii_digit()) {
            self.lists
                .entry(name.to_owned())
                .or_default()
                .push(value.to_owned());
        } else {
            self.scalars.insert(key.to_owned(), value.to_owned());
        }
        Ok(())
    }

    /// Rejects parameters this endpoint does not know (`parameter_unknown`).
    pub(crate) fn allow_only(&self, allowed: &[&str]) -> Result<(), StripeError> {
        let names = self
            .scalars
            .keys()
            .map(|key| key.split('[').next().unwrap_or(key))
            .chain(self.lists.keys().map(String::as_str));
        for name in names {
            if !allowed.contains(&name) {
                let shown: String = name.chars().take(60).collect();
                return Err(StripeError::invalid(
                    "parameter_unknown",
                    &shown,
                    format!("Received unknown parameter: {shown}"),
                ));
            }
        }
        if !self.metadata.is_empty() && !allowed.contains(&"metadata") {
            return Err(StripeError::invalid(
                "parameter_unknown",
                "metadata",
                "Received unknown parameter: metadata",
            ));
        }
        Ok(())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.scalars.get(name).map(String::as_str)
    }

    /// A positive integer parameter (minor units).
    pub(crate) fn positive_integer(&self, name: &str) -> Result<Option<i64>, StripeError> {
        match self.get(name) {
            None => Ok(None),
            Some(text) => match text.parse::<i64>() {
                Ok(value) if (1..=99_999_999).contains(&value) => Ok(Some(value)),
                Ok(_) => Err(StripeError::invalid(
                    "parameter_invalid_integer",
                    name,
                    format!("Invalid {name}: must be between 1 and 99999999."),
                )),
                Err(_) => Err(StripeError::invalid(
                    "parameter_invalid_integer",
                    name,
                    format!(
                        "Invalid integer: {}",
                        text.chars().take(40).collect::<String>()
                    ),
                )),
            },
        }
    }

    /// A `true`/`false` parameter.
    pub(crate) fn boolean(&self, name: &str) -> Result<Option<bool>, StripeError> {
        match self.get(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(StripeError::invalid(
                "parameter_invalid_boolean",
                name,
                format!("Invalid boolean: {name} must be true or false."),
            )),
        }
    }

    /// Method, path and every parameter: what an idempotency key is bound to.
    pub(crate) fn fingerprint(&self, method: &str, path: &str) -> String {
        let params = serde_urlencoded::to_string(&self.sorted_pairs).unwrap_or_default();
        format!("{method} {path}?{params}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_brackets_into_metadata_lists_and_scalars() {
        let body = b"amount=2000&currency=usd&metadata[saga_id]=s-1&metadata%5Bstep%5D=authorize&payment_method_types[]=card&automatic_payment_methods[enabled]=false";
        let form = Form::parse(body).unwrap();
        assert_eq!(form.get("amount"), Some("2000"));
        assert_eq!(form.metadata["saga_id"], "s-1");
        assert_eq!(form.metadata["step"], "authorize");
        assert_eq!(form.lists["payment_method_types"], vec!["card"]);
        assert_eq!(
            form.get("automatic_payment_methods[enabled]"),
            Some("false")
        );
        form.allow_only(&[
            "amount",
            "currency",
            "metadata",
            "payment_method_types",
            "automatic_payment_methods",
        ])
        .unwrap();
        let error = form.allow_only(&["amount"]).unwrap_err();
        assert_eq!(error.code, Some("parameter_unknown"));
    }

    #[test]
    fn fingerprints_ignore_order_but_not_values() {
        let a = Form::parse(b"amount=1&currency=usd").unwrap();
        let b = Form::parse(b"currency=usd&amount=1").unwrap();
        let c = Form::parse(b"currency=usd&amount=2").unwrap();
        assert_eq!(
            a.fingerprint("POST", "/v1/x"),
            b.fingerprint("POST", "/v1/x")
        );
        assert_ne!(
            a.fingerprint("POST", "/v1/x"),
            c.fingerprint("POST", "/v1/x")
        );
    }

    #[test]
    fn validates_integers_and_metadata() {
        let form = Form::parse(b"amount=abc").unwrap();
        assert_eq!(
            form.positive_integer("amount").unwrap_err().code,
            Some("parameter_invalid_integer")
        );
        let form = Form::parse(b"amount=0").unwrap();
        assert!(form.positive_integer("amount").is_err());
        let long_key = format!("metadata[{}]=v", "k".repeat(41));
        assert!(Form::parse(long_key.as_bytes()).is_err());
    }
}
