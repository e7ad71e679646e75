//! JSON Schemas of the wire format, generated from the Rust types.
//!
//! `contracts/schemas/` holds the generated files so that publishers in
//! other languages can validate against them; a test fails when the files
//! drift from the types (regenerate with `AUTOBOOK_UPDATE_SCHEMAS=1 cargo
//! test -p autobook-contracts --test schemas`).

use serde_json::{Value, json};

use crate::message::MessageType;
use crate::wire::WireEnvelope;

/// Every schema file: `envelope.json` and one `<message type>.json` each.
pub fn schema_files() -> Vec<(String, Value)> {
    let mut files = vec![("envelope.json".to_owned(), envelope_schema())];
    for message_type in MessageType::ALL {
        files.push((
            format!("{}.json", message_type.as_str()),
            message_schema(*message_type),
        ));
    }
    files
}

fn envelope_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(WireEnvelope)).unwrap_or(Value::Null)
}

/// The whole wire document of one message type: the envelope with its
/// `message_type` fixed and its `payload` described.
pub fn message_schema(message_type: MessageType) -> Value {
    let mut schema = envelope_schema();
    let mut payload = serde_json::to_value(message_type.payload_schema()).unwrap_or(Value::Null);
    let payload_defs = payload.as_object_mut().and_then(|p| p.remove("$defs"));
    if let Some(p) = payload.as_object_mut() {
        p.remove("$schema");
    }
    schema["title"] = json!(message_type.as_str());
    schema["description"] = json!(format!(
        "A {} {} message: the autobook envelope with its payload.",
        message_type.as_str(),
        match message_type.kind() {
            crate::message::MessageKind::Command => "command",
            crate::message::MessageKind::Event => "event",
        }
    ));
    let properties = &mut schema["properties"];
    properties["message_type"] = json!({ "const": message_type.as_str() });
    properties["schema_version"] =
        json!({ "type": "integer", "minimum": 1, "maximum": message_type.schema_version() });
    properties["payload"] = payload;
    if let Some(Value::Object(defs)) = payload_defs {
        let target = schema
            .as_object_mut()
            .map(|o| o.entry("$defs").or_insert_with(|| json!({})));
        if let Some(Value::Object(target)) = target {
            target.extend(defs);
        }
    }
    schema
}
