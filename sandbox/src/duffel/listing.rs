//! Query strings and cursor pagination of Duffel lists
//! (`?limit=&after=`, `"meta":{"limit","after","before"}`).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::errors::DuffelError;

/// Query parameters; later duplicates win.
pub(crate) fn query_pairs(raw: Option<&str>) -> Result<BTreeMap<String, String>, DuffelError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| DuffelError::invalid("query", "The query string is malformed"))?;
    Ok(pairs.into_iter().collect())
}

/// One page of `items` (already in list order) after the `after` cursor.
pub(crate) fn page<T>(
    items: &[T],
    query: &BTreeMap<String, String>,
    id_of: impl Fn(&T) -> &str,
    render: impl Fn(&T) -> Value,
) -> Result<Value, DuffelError> {
    let limit = match query.get("limit") {
        None => 50,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| {
                DuffelError::invalid("limit", "Field 'limit' must be between 1 and 200")
            })?,
    };
    let start = match query.get("after") {
        None => 0,
        Some(cursor) => items
            .iter()
            .position(|item| id_of(item) == cursor)
            .map(|index| index + 1)
            .ok_or_else(|| DuffelError::invalid("after", "Field 'after' is not a valid cursor"))?,
    };
    let chosen: Vec<&T> = items.iter().skip(start).take(limit).collect();
    let more = start + chosen.len() < items.len();
    let after = match (more, chosen.last()) {
        (true, Some(last)) => Value::String(id_of(last).to_owned()),
        _ => Value::Null,
    };
    let before = match (start > 0, chosen.first()) {
        (true, Some(first)) => Value::String(id_of(first).to_owned()),
        _ => Value::Null,
    };
    Ok(json!({
        "data": chosen.into_iter().map(render).collect::<Vec<_>>(),
        "meta": { "limit": limit, "after": after, "before": before },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_after_cursor() {
        let items: Vec<String> = (0..5).map(|i| format!("id{i}")).collect();
        let mut query = query_pairs(Some("limit=2")).unwrap();
        let first = page(&items, &query, |s| s, |s| json!(s)).unwrap();
        assert_eq!(first["data"], json!(["id0", "id1"]));
        assert_eq!(first["meta"]["after"], "id1");
        query.insert("after".into(), "id3".into());
        let last = page(&items, &query, |s| s, |s| json!(s)).unwrap();
        assert_eq!(last["data"], json!(["id4"]));
        assert!(last["meta"]["after"].is_null());
        query.insert("limit".into(), "0".into());
        assert!(page(&items, &query, |s| s, |s| json!(s)).is_err());
    }
}
