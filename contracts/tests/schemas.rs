//! The JSON Schemas in `contracts/schemas/` must match the Rust types.
//! Regenerate with `AUTOBOOK_UPDATE_SCHEMAS=1 cargo test -p autobook-contracts --test schemas`.

use std::path::PathBuf;

use autobook_contracts::schema::schema_files;

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas")
}

#[test]
fn committed_schemas_match_the_types() {
    let dir = schema_dir();
    let update = std::env::var_os("AUTOBOOK_UPDATE_SCHEMAS").is_some();
    let mut drifted = Vec::new();
    let files = schema_files();
    for (name, schema) in &files {
        let text = serde_json::to_string_pretty(schema).unwrap() + "\n";
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            drifted.push(name.clone());
        }
    }
    let expected: std::collections::BTreeSet<_> = files.iter().map(|(n, _)| n.clone()).collect();
    let present: std::collections::BTreeSet<_> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let stale: Vec<_> = present.difference(&expected).collect();
    assert!(
        drifted.is_empty() && stale.is_empty(),
        "schemas drifted from the types: changed {drifted:?}, stale {stale:?}; \
         regenerate with AUTOBOOK_UPDATE_SCHEMAS=1 cargo test -p autobook-contracts --test schemas"
    );
}

#[test]
fn the_trip_request_schema_describes_the_payload() {
    let (_, schema) = schema_files()
        .into_iter()
        .find(|(n, _)| n == "trip.requested.json")
        .unwrap();
    assert_eq!(
        schema["properties"]["message_type"]["const"],
        "trip.requested"
    );
    let required = schema["properties"]["payload"]["required"]
        .as_array()
        .unwrap();
    for field in [
        "user_id",
        "origin",
        "destination",
        "departure_date",
        "passengers",
        "max_price",
        "payment",
    ] {
        assert!(required.iter().any(|r| r == field), "{field} not required");
    }
}
