//! Reading Duffel request bodies (`{"data":{...}}`) field by field, so that
//! every problem is answered as a 422 validation error naming its field.

use serde_json::{Map, Value};

use super::errors::DuffelError;

/// The `data` object of a request body.
pub(crate) fn parse_data(body: &[u8]) -> Result<Map<String, Value>, DuffelError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| DuffelError::invalid("data", "The request body must be a JSON object"))?;
    match value {
        Value::Object(mut root) => match root.remove("data") {
            Some(Value::Object(data)) => Ok(data),
            Some(_) => Err(DuffelError::invalid(
                "data",
                "Field 'data' must be an object",
            )),
            None => Err(DuffelError::required("data")),
        },
        _ => Err(DuffelError::invalid(
            "data",
            "The request body must be a JSON object",
        )),
    }
}

/// A JSON object being read, with its path for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Fields<'a> {
    pub(crate) fn root(object: &'a Map<String, Value>) -> Self {
        Fields { object, path: "" }
    }

    /// `name` as a path: `passengers[0].email`.
    pub(crate) fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|value| !value.is_null())
    }

    /// A required, non-blank string.
    pub(crate) fn string(&self, name: &str) -> Result<&'a str, DuffelError> {
        match self.optional_string(name)? {
            Some(text) if !text.trim().is_empty() => Ok(text),
            _ => Err(DuffelError::required(&self.path_of(name))),
        }
    }

    pub(crate) fn optional_string(&self, name: &str) -> Result<Option<&'a str>, DuffelError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(DuffelError::invalid(
                &self.path_of(name),
                format!("Field '{}' must be a string", self.path_of(name)),
            )),
        }
    }

    /// A required array.
    pub(crate) fn array(&self, name: &str) -> Result<&'a [Value], DuffelError> {
        match self.present(name) {
            None => Err(DuffelError::required(&self.path_of(name))),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(DuffelError::invalid(
                &self.path_of(name),
                format!("Field '{}' must be a list", self.path_of(name)),
            )),
        }
    }

    /// An optional array (absent or null: empty).
    pub(crate) fn optional_array(&self, name: &str) -> Result<&'a [Value], DuffelError> {
        match self.present(name) {
            None => Ok(&[]),
            Some(_) => self.array(name),
        }
    }

    pub(crate) fn optional_u64(&self, name: &str) -> Result<Option<u64>, DuffelError> {
        match self.present(name) {
            None => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                DuffelError::invalid(
                    &self.path_of(name),
                    format!(
                        "Field '{}' must be a non-negative integer",
                        self.path_of(name)
                    ),
                )
            }),
        }
    }

    pub(crate) fn optional_object(
        &self,
        name: &str,
    ) -> Result<Option<&'a Map<String, Value>>, DuffelError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(object)) => Ok(Some(object)),
            Some(_) => Err(DuffelError::invalid(
                &self.path_of(name),
                format!("Field '{}' must be an object", self.path_of(name)),
            )),
        }
    }
}

/// An element of a list that must be an object; `path` is its own path
/// (`passengers[0]`), owned by the caller.
pub(crate) fn element<'a>(value: &'a Value, path: &'a str) -> Result<Fields<'a>, DuffelError> {
    match value {
        Value::Object(object) => Ok(Fields { object, path }),
        _ => Err(DuffelError::invalid(
            path,
            format!("Field '{path}' must be an object"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_fields_and_names_the_culprit() {
        let body =
            br#"{"data":{"cabin_class":"economy","slices":[{"origin":7}],"max_connections":1}}"#;
        let data = parse_data(body).unwrap();
        let fields = Fields::root(&data);
        assert_eq!(fields.string("cabin_class").unwrap(), "economy");
        assert_eq!(fields.optional_u64("max_connections").unwrap(), Some(1));
        let slices = fields.array("slices").unwrap();
        let path = "slices[0]".to_owned();
        let slice = element(&slices[0], &path).unwrap();
        let error = slice.string("origin").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("slices[0].origin"));
        assert_eq!(
            fields.array("passengers").unwrap_err().code,
            "validation_required"
        );
    }

    #[test]
    fn rejects_bodies_without_data() {
        assert_eq!(parse_data(b"nope").unwrap_err().code, "invalid");
        assert_eq!(
            parse_data(br#"{"x":1}"#).unwrap_err().code,
            "validation_required"
        );
        assert!(parse_data(json!({"data": []}).to_string().as_bytes()).is_err());
    }
}
