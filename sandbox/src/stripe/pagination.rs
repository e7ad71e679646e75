//! What Stripe's list endpoints share (`GET /v1/payment_intents`, `GET
//! /v1/refunds`): the query string, the `created` filter (`created=<unix>`
//! or any of `created[gt]`, `created[gte]`, `created[lt]`, `created[lte]`),
//! `limit` (1 to 100, default 10), the cursors `starting_after` and
//! `ending_before` (an object's id; at most one of them), and the list
//! object. Lists are newest first and read the current state (no lag).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::errors::StripeError;

/// Parameters every list accepts, besides its own filters.
const COMMON: &[&str] = &[
    "created",
    "created[gt]",
    "created[gte]",
    "created[lt]",
    "created[lte]",
    "limit",
    "starting_after",
    "ending_before",
    "expand[]",
];

pub(crate) fn query_of(raw: Option<&str>) -> Result<BTreeMap<String, String>, StripeError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|_| StripeError::bad_request("The query string is malformed."))?;
    Ok(pairs.into_iter().collect())
}

/// A list `limit` (1 to 100, default 10).
pub(crate) fn list_limit(query: &BTreeMap<String, String>) -> Result<usize, StripeError> {
    match query.get("limit") {
        None => Ok(10),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                StripeError::invalid(
                    "parameter_invalid_integer",
                    "limit",
                    "Invalid limit: must be between 1 and 100",
                )
            }),
    }
}

/// Bounds on `created` (unix seconds), each inclusive or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct CreatedRange {
    gt: Option<i64>,
    gte: Option<i64>,
    lt: Option<i64>,
    lte: Option<i64>,
}

impl CreatedRange {
    fn parse(query: &BTreeMap<String, String>) -> Result<Self, StripeError> {
        let bound = |name: &str| -> Result<Option<i64>, StripeError> {
            query
                .get(name)
                .map(|text| {
                    text.parse::<i64>().map_err(|_| {
                        StripeError::invalid(
                            "parameter_invalid_integer",
                            name,
                            format!("Invalid {name}: must be an integer (unix seconds)."),
                        )
                    })
                })
                .transpose()
        };
        let exact = bound("created")?;
        Ok(CreatedRange {
            gt: bound("created[gt]")?,
            gte: bound("created[gte]")?.max(exact),
            lt: bound("created[lt]")?,
            lte: match (bound("created[lte]")?, exact) {
                (Some(lte), Some(exact)) => Some(lte.min(exact)),
                (lte, exact) => lte.or(exact),
            },
        })
    }

    fn contains(&self, created: i64) -> bool {
        self.gt.is_none_or(|bound| created > bound)
            && self.gte.is_none_or(|bound| created >= bound)
            && self.lt.is_none_or(|bound| created < bound)
            && self.lte.is_none_or(|bound| created <= bound)
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cursor {
    /// The objects after (older than) this one.
    After(String),
    /// The objects before (newer than) this one.
    Before(String),
}

/// A list request's common parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListParams {
    created: CreatedRange,
    limit: usize,
    cursor: Option<Cursor>,
}

impl ListParams {
    /// Reads the common parameters; anything not common and not in
    /// `filters` is `parameter_unknown`.
    pub(crate) fn parse(
        query: &BTreeMap<String, String>,
        filters: &[&str],
    ) -> Result<Self, StripeError> {
        if let Some(unknown) = query
            .keys()
            .find(|key| !COMMON.contains(&key.as_str()) && !filters.contains(&key.as_str()))
        {
            let shown: String = unknown.chars().take(60).collect();
            return Err(StripeError::invalid(
                "parameter_unknown",
                &shown,
                format!("Received unknown parameter: {shown}"),
            ));
        }
        let cursor = match (query.get("starting_after"), query.get("ending_before")) {
            (Some(_), Some(_)) => {
                return Err(StripeError::invalid(
                    "parameter_invalid_string",
                    "ending_before",
                    "You may only specify one of these parameters: starting_after, ending_before.",
                ));
            }
            (Some(after), None) => Some(Cursor::After(after.clone())),
            (None, Some(before)) => Some(Cursor::Before(before.clone())),
            (None, None) => None,
        };
        Ok(ListParams {
            created: CreatedRange::parse(query)?,
            limit: list_limit(query)?,
            cursor,
        })
    }

    /// One page of `newest_first` (every object, unfiltered, so a cursor
    /// may name one the filters leave out): the objects `keep` and the
    /// `created` filter let through, and whether more lie beyond the page.
    pub(crate) fn page<'a, T>(
        &self,
        newest_first: &[&'a T],
        id_of: impl Fn(&T) -> &str,
        created_of: impl Fn(&T) -> i64,
        keep: impl Fn(&T) -> bool,
        kind: &str,
    ) -> Result<(Vec<&'a T>, bool), StripeError> {
        let position = |cursor: &str, param: &str| {
            newest_first
                .iter()
                .position(|object| id_of(object) == cursor)
                .ok_or_else(|| StripeError::no_such(kind, cursor, param))
        };
        let window: &[&'a T] = match &self.cursor {
            None => newest_first,
            Some(Cursor::After(id)) => &newest_first[position(id, "starting_after")? + 1..],
            Some(Cursor::Before(id)) => &newest_first[..position(id, "ending_before")?],
        };
        let candidates: Vec<&'a T> = window
            .iter()
            .copied()
            .filter(|object| self.created.contains(created_of(object)) && keep(object))
            .collect();
        let (start, end) = match &self.cursor {
            Some(Cursor::Before(_)) => (
                candidates.len().saturating_sub(self.limit),
                candidates.len(),
            ),
            None | Some(Cursor::After(_)) => (0, candidates.len().min(self.limit)),
        };
        let has_more = start > 0 || end < candidates.len();
        Ok((candidates[start..end].to_vec(), has_more))
    }
}

/// A Stripe list object.
pub(crate) fn list_object(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Objects (id, created), newest first: e9 (created 9) ... e0 (created 0).
    fn objects() -> Vec<(String, i64)> {
        (0..10).rev().map(|n| (format!("e{n}"), n)).collect()
    }

    fn ids(params: &ListParams, keep: impl Fn(&(String, i64)) -> bool) -> (Vec<String>, bool) {
        let all = objects();
        let refs: Vec<&(String, i64)> = all.iter().collect();
        let (page, more) = params
            .page(&refs, |o| o.0.as_str(), |o| o.1, keep, "thing")
            .unwrap();
        (page.iter().map(|o| o.0.clone()).collect(), more)
    }

    #[test]
    fn created_bounds_filter_and_combine() {
        let params =
            ListParams::parse(&query(&[("created[gte]", "3"), ("created[lt]", "6")]), &[]).unwrap();
        assert_eq!(
            ids(&params, |_| true),
            (vec!["e5".into(), "e4".into(), "e3".into()], false)
        );
        let exact = ListParams::parse(&query(&[("created", "7")]), &[]).unwrap();
        assert_eq!(ids(&exact, |_| true).0, vec!["e7".to_owned()]);
        let open =
            ListParams::parse(&query(&[("created[gt]", "7"), ("created[lte]", "9")]), &[]).unwrap();
        assert_eq!(
            ids(&open, |_| true).0,
            vec!["e9".to_owned(), "e8".to_owned()]
        );
        let error = ListParams::parse(&query(&[("created[gte]", "soon")]), &[]).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("created[gte]"));
        assert!(!error.message.contains("soon"), "the value is not quoted");
    }

    #[test]
    fn cursors_page_both_ways_past_filtered_objects() {
        let after =
            ListParams::parse(&query(&[("starting_after", "e7"), ("limit", "2")]), &[]).unwrap();
        assert_eq!(
            ids(&after, |_| true),
            (vec!["e6".into(), "e5".into()], true)
        );
        let before =
            ListParams::parse(&query(&[("ending_before", "e4"), ("limit", "2")]), &[]).unwrap();
        assert_eq!(
            ids(&before, |_| true),
            (vec!["e6".into(), "e5".into()], true)
        );
        let first = ListParams::parse(&query(&[("ending_before", "e8")]), &[]).unwrap();
        assert_eq!(ids(&first, |_| true), (vec!["e9".into()], false));
        let odd = |o: &(String, i64)| o.1 % 2 == 1;
        // The cursor itself may be filtered out: the page goes on after it.
        let past =
            ListParams::parse(&query(&[("starting_after", "e8"), ("limit", "2")]), &[]).unwrap();
        assert_eq!(ids(&past, odd), (vec!["e7".into(), "e5".into()], true));
    }

    #[test]
    fn unknown_parameters_missing_cursors_and_both_cursors_are_refused() {
        let error = ListParams::parse(&query(&[("colour", "red")]), &["customer"]).unwrap_err();
        assert_eq!(error.code, Some("parameter_unknown"));
        ListParams::parse(&query(&[("customer", "cus_1")]), &["customer"]).unwrap();
        let both = query(&[("starting_after", "e1"), ("ending_before", "e2")]);
        assert!(ListParams::parse(&both, &[]).is_err());
        let missing = ListParams::parse(&query(&[("starting_after", "nope")]), &[]).unwrap();
        let all = objects();
        let refs: Vec<&(String, i64)> = all.iter().collect();
        let error = missing
            .page(&refs, |o| o.0.as_str(), |o| o.1, |_| true, "thing")
            .unwrap_err();
        assert_eq!(error.param.as_deref(), Some("starting_after"));
    }
}
