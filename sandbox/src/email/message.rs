//! Reading and checking a `POST /emails` body: from, to (one address or a
//! list of 1 to 50), subject, html and/or text, optional cc, bcc, reply_to
//! and tags (ASCII letters, digits, `_` and `-`).

use std::fmt;

use serde_json::{Map, Value};

use super::errors::EmailError;

const MAX_RECIPIENTS: usize = 50;
const MAX_TAG_LENGTH: usize = 256;

/// A checked email; Debug never prints addresses or content.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct OutgoingEmail {
    pub(crate) from: String,
    pub(crate) to: Vec<String>,
    pub(crate) cc: Vec<String>,
    pub(crate) bcc: Vec<String>,
    pub(crate) reply_to: Vec<String>,
    pub(crate) subject: String,
    pub(crate) html: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
}

impl fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingEmail")
            .field("recipients", &self.to.len())
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

pub(crate) fn parse_email(body: &Value) -> Result<OutgoingEmail, EmailError> {
    let object = body
        .as_object()
        .ok_or_else(|| EmailError::validation("The request body must be a JSON object."))?;
    let from =
        string(object, "from")?.ok_or_else(|| EmailError::validation("Missing `from` field."))?;
    if !valid_sender(&from) {
        return Err(EmailError::validation(
            "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
        ));
    }
    let to = addresses(object, "to")?;
    if to.is_empty() {
        return Err(EmailError::validation("Missing `to` field."));
    }
    let subject = string(object, "subject")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| EmailError::validation("Missing `subject` field."))?;
    let html = string(object, "html")?.filter(|s| !s.is_empty());
    let text = string(object, "text")?.filter(|s| !s.is_empty());
    if html.is_none() && text.is_none() {
        return Err(EmailError::validation("Missing `html` or `text` field."));
    }
    Ok(OutgoingEmail {
        from,
        to,
        cc: addresses(object, "cc")?,
        bcc: addresses(object, "bcc")?,
        reply_to: addresses(object, "reply_to")?,
        subject,
        html,
        text,
        tags: tags(object)?,
    })
}

fn string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, EmailError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(EmailError::validation(format!(
            "The `{name}` field must be a string."
        ))),
    }
}

/// One address or a list of them; each must look like an address.
fn addresses(object: &Map<String, Value>, name: &str) -> Result<Vec<String>, EmailError> {
    let list = match object.get(name) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                EmailError::validation(format!(
                    "The `{name}` field must be a string or a list of strings."
                ))
            })?,
        Some(_) => {
            return Err(EmailError::validation(format!(
                "The `{name}` field must be a string or a list of strings."
            )));
        }
    };
    if list.len() > MAX_RECIPIENTS {
        return Err(EmailError::validation(format!(
            "The `{name}` field can have at most {MAX_RECIPIENTS} addresses."
        )));
    }
    if list.iter().any(|address| !valid_address(address)) {
        return Err(EmailError::validation(format!(
            "Invalid `{name}` field. Each address needs to follow the `email@example.com` format."
        )));
    }
    Ok(list)
}

fn valid_address(address: &str) -> bool {
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !address.contains(|c: char| c.is_whitespace() || c == '<' || c == '>')
        }
        None => false,
    }
}

/// `email@example.com` or `Name <email@example.com>`.
fn valid_sender(from: &str) -> bool {
    match from
        .trim()
        .strip_suffix('>')
        .and_then(|rest| rest.rsplit_once('<'))
    {
        Some((_, address)) => valid_address(address),
        None => valid_address(from.trim()),
    }
}

fn tags(object: &Map<String, Value>) -> Result<Vec<(String, String)>, EmailError> {
    let Some(value) = object.get("tags").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let invalid = || {
        EmailError::validation(
            "Invalid `tags` field. Tags are a list of {name, value} with ASCII letters, numbers, underscores or dashes.",
        )
    };
    let items = value.as_array().ok_or_else(invalid)?;
    items
        .iter()
        .map(|item| {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(invalid)?;
            let value = item.get("value").and_then(Value::as_str).unwrap_or("");
            if !valid_tag(name, false) || !valid_tag(value, true) {
                return Err(invalid());
            }
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

fn valid_tag(text: &str, may_be_empty: bool) -> bool {
    (may_be_empty || !text.is_empty())
        && text.len() <= MAX_TAG_LENGTH
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn accepts_a_complete_email() {
        let email = parse_email(&json!({
            "from": "Autobook <bookings@autobook.test>",
            "to": "traveller@example.com",
            "subject": "Booked",
            "text": "hello",
            "tags": [{"name": "kind", "value": "booking_confirmed"}]
        }))
        .unwrap();
        assert_eq!(email.to, vec!["traveller@example.com"]);
        assert_eq!(
            email.tags,
            vec![("kind".to_owned(), "booking_confirmed".to_owned())]
        );
        assert!(!format!("{email:?}").contains("traveller"));
    }

    #[test]
    fn rejects_invalid_emails_without_quoting_them() {
        let base = json!({"from": "a@b.co", "to": ["x@y.co"], "subject": "s", "html": "<p>h</p>"});
        assert!(parse_email(&base).is_ok());
        let cases = [
            ("to", json!([])),
            ("to", json!("secret-person")),
            (
                "to",
                Value::Array((0..51).map(|i| json!(format!("p{i}@y.co"))).collect()),
            ),
            ("subject", json!("")),
            ("from", json!("nobody")),
            ("tags", json!([{"name": "bad tag", "value": "x"}])),
        ];
        for (field, value) in cases {
            let mut body = base.clone();
            body[field] = value;
            let error = parse_email(&body).unwrap_err();
            assert_eq!(error.name, "validation_error", "{field}");
            assert!(!error.message.contains("secret-person"));
        }
        let mut no_body = base.clone();
        no_body.as_object_mut().unwrap().remove("html");
        assert!(parse_email(&no_body).is_err());
    }
}
