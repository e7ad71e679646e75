//! Finding sagas for the console: by id, status, traveller (their
//! pseudonymous id) and time of last change, newest change first, one page
//! at a time.
//!
//! Pages are keyed on `(updated_at, id)` (never OFFSET), so page 10,000 costs
//! what page 1 does; each filter has an index that starts with it
//! (`sagas_status_updated_idx`, `sagas_user_updated_idx`,
//! `sagas_updated_id_idx`), so the cost does not grow with the table.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::sagas::SagaSummary;

/// Most sagas on one page.
pub const MAX_PAGE: i64 = 200;

/// Where the next page starts: after this saga.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// The cursor as a URL-safe token: microseconds since the epoch and the id.
    pub fn token(&self) -> String {
        format!(
            "{}_{}",
            self.updated_at.timestamp_micros(),
            self.id.simple()
        )
    }

    /// Reads a token written by [`Cursor::token`].
    pub fn parse(token: &str) -> Option<Cursor> {
        let (micros, id) = token.split_once('_')?;
        let updated_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        let id = Uuid::try_parse(id).ok()?;
        Some(Cursor { updated_at, id })
    }
}

/// What to look for; every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SagaQuery {
    /// One saga (its trip id).
    pub id: Option<Uuid>,
    pub status: Option<String>,
    /// The traveller's pseudonymous id.
    pub user_id: Option<String>,
    /// Last changed at or after.
    pub updated_from: Option<DateTime<Utc>>,
    /// Last changed before.
    pub updated_to: Option<DateTime<Utc>>,
    /// The page after this saga.
    pub after: Option<Cursor>,
    /// Sagas per page (1 to [`MAX_PAGE`]).
    pub limit: i64,
}

/// One page of sagas, and where the next one starts if there is one.
#[derive(Debug, Clone)]
pub struct SagaPage {
    pub sagas: Vec<SagaSummary>,
    pub next: Option<Cursor>,
}

fn build(prefix: &str, query: &SagaQuery, limit: i64) -> QueryBuilder<Postgres> {
    let mut sql = QueryBuilder::<Postgres>::new(prefix);
    sql.push(
        "SELECT id, user_id, status, version, created_at, updated_at, \
         state->'phase'->>'problem' AS problem FROM sagas WHERE true",
    );
    if let Some(id) = query.id {
        sql.push(" AND id = ").push_bind(id);
    }
    if let Some(status) = &query.status {
        sql.push(" AND status = ").push_bind(status.clone());
    }
    if let Some(user_id) = &query.user_id {
        sql.push(" AND user_id = ").push_bind(user_id.clone());
    }
    if let Some(from) = query.updated_from {
        sql.push(" AND updated_at >= ").push_bind(from);
    }
    if let Some(to) = query.updated_to {
        sql.push(" AND updated_at < ").push_bind(to);
    }
    if let Some(after) = query.after {
        sql.push(" AND (updated_at, id) < (")
            .push_bind(after.updated_at)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    sql.push(" ORDER BY updated_at DESC, id DESC LIMIT ")
        .push_bind(limit);
    sql
}

/// One page of the sagas `query` matches, newest change first.
pub async fn search(pool: &PgPool, query: &SagaQuery) -> Result<SagaPage, sqlx::Error> {
    let limit = query.limit.clamp(1, MAX_PAGE);
    // One more than the page: whether there is a next page.
    let rows = build("", query, limit + 1).build().fetch_all(pool).await?;
    let mut sagas: Vec<SagaSummary> = rows
        .iter()
        .map(|row| SagaSummary {
            id: row.get("id"),
            user_id: row.get("user_id"),
            status: row.get("status"),
            version: row.get("version"),
            created_at: row.get("created_at"),
            updated_at: row.get("updated_at"),
            problem: row.get("problem"),
        })
        .collect();
    let more = sagas.len() as i64 > limit;
    sagas.truncate(limit as usize);
    let next = more.then(|| sagas.last()).flatten().map(|last| Cursor {
        updated_at: last.updated_at,
        id: last.id,
    });
    Ok(SagaPage { sagas, next })
}

/// The plan PostgreSQL chooses for `query` (EXPLAIN, not run): for tests
/// that check every search is served by an index.
pub async fn plan(conn: &mut PgConnection, query: &SagaQuery) -> Result<String, sqlx::Error> {
    let limit = query.limit.clamp(1, MAX_PAGE) + 1;
    let lines: Vec<String> = build("EXPLAIN ", query, limit)
        .build_query_scalar()
        .fetch_all(conn)
        .await?;
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let cursor = Cursor {
            updated_at: DateTime::from_timestamp_micros(1_765_000_000_123_456).unwrap(),
            id: Uuid::now_v7(),
        };
        assert_eq!(Cursor::parse(&cursor.token()), Some(cursor));
        assert_eq!(Cursor::parse("nonsense"), None);
        assert_eq!(Cursor::parse("12_notauuid"), None);
        assert_eq!(Cursor::parse("x_00000000000000000000000000000000"), None);
    }
}
