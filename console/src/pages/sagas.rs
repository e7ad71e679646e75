//! `GET /sagas`: search sagas by trip id, status, traveller (pseudonymous
//! id) and time of last change, newest first, a page at a time.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use autobook_orchestrator::admin::sagas::SagaSummary;
use autobook_orchestrator::admin::search::{self, Cursor, SagaQuery};
use autobook_orchestrator::saga::Phase;

use crate::auth::Person;
use crate::extract::QueryOf;
use crate::page::{Chrome, PageError, render, time};
use crate::state::Shared;

/// Sagas per page.
pub const PAGE: i64 = 50;
/// Longest traveller id searched for.
const MAX_USER_CHARS: usize = 200;

/// A saga in a list, formatted.
pub struct Row {
    pub id: String,
    pub status: String,
    pub user_id: String,
    pub version: i64,
    pub created: String,
    pub updated: String,
    pub problem: String,
}

impl From<&SagaSummary> for Row {
    fn from(s: &SagaSummary) -> Row {
        Row {
            id: s.id.to_string(),
            status: s.status.clone(),
            user_id: s.user_id.clone(),
            version: s.version,
            created: time(s.created_at),
            updated: time(s.updated_at),
            problem: s.problem.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub after: String,
    pub done: Option<Uuid>,
}

#[derive(Template)]
#[template(path = "sagas.html")]
struct SagasPage {
    chrome: Chrome,
    params: Params,
    statuses: &'static [&'static str],
    rows: Vec<Row>,
    next: Option<String>,
}

impl SagasPage {
    fn selected(&self, status: &str) -> bool {
        self.params.status == status
    }
}

/// A `datetime-local` value (or a full RFC 3339 time), read as UTC.
fn parse_time(text: &str, field: &str) -> Result<Option<DateTime<Utc>>, PageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(Some(at.and_utc()));
        }
    }
    Err(PageError::bad_request(format!(
        "{field}: give a time as YYYY-MM-DDTHH:MM (UTC)"
    )))
}

/// The query the parameters ask for; errors name the field, never its value.
pub fn query(params: &Params, limit: i64) -> Result<SagaQuery, PageError> {
    let id = match params.id.trim() {
        "" => None,
        text => Some(
            Uuid::try_parse(text)
                .map_err(|_| PageError::bad_request("trip id: give the saga's id (a UUID)"))?,
        ),
    };
    let status = match params.status.as_str() {
        "" => None,
        name => Some(
            Phase::STATUSES
                .iter()
                .find(|s| **s == name)
                .map(|s| (*s).to_owned())
                .ok_or_else(|| PageError::bad_request("status: not a saga status"))?,
        ),
    };
    let user = params.user.trim();
    if user.chars().count() > MAX_USER_CHARS || user.chars().any(char::is_control) {
        return Err(PageError::bad_request(format!(
            "traveller: one line of at most {MAX_USER_CHARS} characters"
        )));
    }
    let after = match params.after.as_str() {
        "" => None,
        token => Some(
            Cursor::parse(token)
                .ok_or_else(|| PageError::bad_request("after: not a page token"))?,
        ),
    };
    Ok(SagaQuery {
        id,
        status,
        user_id: (!user.is_empty()).then(|| user.to_owned()),
        updated_from: parse_time(&params.from, "from")?,
        updated_to: parse_time(&params.to, "to")?,
        after,
        limit,
    })
}

fn next_link(params: &Params, cursor: Cursor) -> String {
    let pairs = [
        ("id", params.id.as_str()),
        ("status", params.status.as_str()),
        ("user", params.user.as_str()),
        ("from", params.from.as_str()),
        ("to", params.to.as_str()),
    ];
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    query.push(format!("after={}", cursor.token()));
    format!("/sagas?{}", query.join("&"))
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `GET /sagas`.
pub async fn list(
    State(console): State<Shared>,
    person: Person,
    QueryOf(params): QueryOf<Params>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&console, &person, "sagas", params.done).await?;
    let found = search::search(&console.pool, &query(&params, PAGE)?).await?;
    let next = found.next.map(|cursor| next_link(&params, cursor));
    render(&SagasPage {
        chrome,
        rows: found.sagas.iter().map(Row::from).collect(),
        statuses: Phase::STATUSES,
        next,
        params,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bad_filters_name_the_field_not_the_value() {
        for (params, field) in [
            (
                Params {
                    id: "<script>".into(),
                    ..Params::default()
                },
                "trip id",
            ),
            (
                Params {
                    status: "<script>".into(),
                    ..Params::default()
                },
                "status",
            ),
            (
                Params {
                    from: "<script>".into(),
                    ..Params::default()
                },
                "from",
            ),
            (
                Params {
                    after: "<script>".into(),
                    ..Params::default()
                },
                "after",
            ),
            (
                Params {
                    user: "a\nb".into(),
                    ..Params::default()
                },
                "traveller",
            ),
        ] {
            let PageError::BadRequest(message) = query(&params, 10).unwrap_err() else {
                panic!("not a bad request")
            };
            assert!(message.starts_with(field), "{message}");
            assert!(!message.contains("<script>"), "{message}");
        }
        let ok = query(
            &Params {
                status: "stuck".into(),
                from: "2026-12-01T10:00".into(),
                user: " usr_1 ".into(),
                ..Params::default()
            },
            10,
        )
        .unwrap();
        assert_eq!(ok.status.as_deref(), Some("stuck"));
        assert_eq!(ok.user_id.as_deref(), Some("usr_1"));
        assert_eq!(
            ok.updated_from.unwrap().to_rfc3339(),
            "2026-12-01T10:00:00+00:00"
        );
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }
}
