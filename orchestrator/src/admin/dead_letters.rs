//! The dead-letter archive as operators use it: list, show, select, purge,
//! and the count a saga's report shows. Replays are in [`super::replay`].

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use autobook_contracts::QueueRole;
use autobook_vault::{Keyring, Place, VaultError};

/// Parses a role name (orchestrator, search, payment, order, notify).
pub fn parse_role(name: &str) -> Result<QueueRole, String> {
    QueueRole::ALL
        .iter()
        .copied()
        .find(|r| r.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = QueueRole::ALL.iter().map(QueueRole::as_str).collect();
            format!("unknown queue {name:?}: use one of {}", names.join(", "))
        })
}

/// Which dead letters an action applies to. Actions require one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    One(Uuid),
    /// Not yet replayed ones, of a queue and/or with a code.
    Matching {
        role: Option<QueueRole>,
        code: Option<String>,
    },
    /// Every one not yet replayed.
    All,
}

impl Selection {
    /// Exactly one kind of selector: an id, filters, or `--all`.
    pub fn new(
        id: Option<Uuid>,
        role: Option<QueueRole>,
        code: Option<String>,
        all: bool,
    ) -> Result<Selection, String> {
        let filters = role.is_some() || code.is_some();
        match (id, filters, all) {
            (Some(id), false, false) => Ok(Selection::One(id)),
            (None, true, false) => Ok(Selection::Matching { role, code }),
            (None, false, true) => Ok(Selection::All),
            (None, false, false) => {
                Err("say which dead letters: an id, --queue, --code or --all".into())
            }
            _ => Err("give either an id, or --queue/--code, or --all".into()),
        }
    }
}

/// Which dead letters a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub role: Option<QueueRole>,
    pub code: Option<String>,
    /// Also those already replayed.
    pub include_replayed: bool,
    pub limit: i64,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            role: None,
            code: None,
            include_replayed: false,
            limit: 100,
        }
    }
}

/// A dead letter in a list.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterSummary {
    pub id: Uuid,
    pub role: String,
    pub source_queue: String,
    pub code: String,
    pub reason: String,
    pub attempts: i32,
    pub dead_lettered_at: DateTime<Utc>,
    pub message_id: Option<Uuid>,
    pub saga_id: Option<Uuid>,
    pub message_type: Option<String>,
    pub replayed_at: Option<DateTime<Utc>>,
    pub replay_note: Option<String>,
}

/// The columns [`summary`] reads, as a literal for `concat!`.
macro_rules! summary_columns {
    () => {
        "id, role, source_queue, code, reason, attempts, dead_lettered_at, \
         message_id, saga_id, message_type, replayed_at, replay_note"
    };
}

fn summary(row: &PgRow) -> DeadLetterSummary {
    DeadLetterSummary {
        id: row.get("id"),
        role: row.get("role"),
        source_queue: row.get("source_queue"),
        code: row.get("code"),
        reason: row.get("reason"),
        attempts: row.get("attempts"),
        dead_lettered_at: row.get("dead_lettered_at"),
        message_id: row.get("message_id"),
        saga_id: row.get("saga_id"),
        message_type: row.get("message_type"),
        replayed_at: row.get("replayed_at"),
        replay_note: row.get("replay_note"),
    }
}

/// Dead letters, oldest first.
pub async fn list(pool: &PgPool, filter: &Filter) -> Result<Vec<DeadLetterSummary>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new(concat!(
        "SELECT ",
        summary_columns!(),
        " FROM dead_letters WHERE true"
    ));
    if !filter.include_replayed {
        query.push(" AND replayed_at IS NULL");
    }
    if let Some(role) = filter.role {
        query.push(" AND role = ").push_bind(role.as_str());
    }
    if let Some(code) = &filter.code {
        query.push(" AND code = ").push_bind(code.clone());
    }
    query
        .push(" ORDER BY dead_lettered_at, id LIMIT ")
        .push_bind(filter.limit.max(1));
    let rows = query.build().fetch_all(pool).await?;
    Ok(rows.iter().map(summary).collect())
}

/// One archived dead letter, its body still sealed.
#[derive(Debug, Clone)]
pub struct ArchivedLetter {
    pub summary: DeadLetterSummary,
    pub archived_at: DateTime<Utc>,
    pub content_type: Option<String>,
    /// The text headers it came with (a JSON object).
    pub headers: Value,
    body: Vec<u8>,
}

impl ArchivedLetter {
    /// The body opened with `vault`, its personal fields too when they
    /// open (otherwise as it came).
    pub fn opened_body(&self, vault: &Keyring) -> Result<Vec<u8>, VaultError> {
        let stored = vault.open_bytes(&self.body, &Place::dead_letter(self.summary.id), "body")?;
        Ok(match vault.open_envelope(&stored) {
            Ok(opened) => opened.into_owned(),
            Err(_) => Cow::into_owned(stored),
        })
    }
}

/// The archived dead letter `id`, if there is one.
pub async fn fetch(pool: &PgPool, id: Uuid) -> Result<Option<ArchivedLetter>, sqlx::Error> {
    let row = sqlx::query(concat!(
        "SELECT ",
        summary_columns!(),
        ", archived_at, content_type, headers, body FROM dead_letters WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| ArchivedLetter {
        summary: summary(&row),
        archived_at: row.get("archived_at"),
        content_type: row.get("content_type"),
        headers: row.get("headers"),
        body: row.get("body"),
    }))
}

/// Ids of the selected dead letters (filters and `--all`: not yet
/// replayed), oldest first.
pub async fn selected_ids(pool: &PgPool, selection: &Selection) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new("SELECT id FROM dead_letters WHERE ");
    match selection {
        Selection::One(id) => {
            return Ok(vec![*id]);
        }
        Selection::All => {
            query.push("replayed_at IS NULL");
        }
        Selection::Matching { role, code } => {
            query.push("replayed_at IS NULL");
            if let Some(role) = role {
                query.push(" AND role = ").push_bind(role.as_str());
            }
            if let Some(code) = code {
                query.push(" AND code = ").push_bind(code.clone());
            }
        }
    }
    query.push(" ORDER BY dead_lettered_at, id");
    query.build_query_scalar::<Uuid>().fetch_all(pool).await
}

/// Deletes the selected archive rows (`replayed_only`: only those already
/// replayed); how many. Unlike a replay, filters and `All` include
/// replayed rows.
pub async fn purge(
    pool: &PgPool,
    selection: &Selection,
    replayed_only: bool,
) -> Result<u64, sqlx::Error> {
    let mut query = QueryBuilder::<Postgres>::new("DELETE FROM dead_letters WHERE true");
    match selection {
        Selection::One(id) => {
            query.push(" AND id = ").push_bind(*id);
        }
        Selection::All => {}
        Selection::Matching { role, code } => {
            if let Some(role) = role {
                query.push(" AND role = ").push_bind(role.as_str());
            }
            if let Some(code) = code {
                query.push(" AND code = ").push_bind(code.clone());
            }
        }
    }
    if replayed_only {
        query.push(" AND replayed_at IS NOT NULL");
    }
    Ok(query.build().execute(pool).await?.rows_affected())
}

/// Archived dead letters of `saga_id` not replayed yet.
pub async fn unreplayed_of_saga(pool: &PgPool, saga_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM dead_letters WHERE saga_id = $1 AND replayed_at IS NULL",
    )
    .bind(saga_id)
    .fetch_one(pool)
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn an_action_needs_exactly_one_kind_of_selector() {
        let id = Uuid::now_v7();
        assert_eq!(
            Selection::new(Some(id), None, None, false),
            Ok(Selection::One(id))
        );
        assert_eq!(
            Selection::new(None, Some(QueueRole::Payment), None, false),
            Ok(Selection::Matching {
                role: Some(QueueRole::Payment),
                code: None
            })
        );
        assert_eq!(Selection::new(None, None, None, true), Ok(Selection::All));
        assert!(Selection::new(None, None, None, false).is_err());
        assert!(Selection::new(Some(id), None, None, true).is_err());
        assert!(Selection::new(Some(id), None, Some("x".into()), false).is_err());
        assert!(Selection::new(None, Some(QueueRole::Order), None, true).is_err());
        assert_eq!(parse_role("payment"), Ok(QueueRole::Payment));
        assert!(parse_role("payments").unwrap_err().contains("orchestrator"));
    }
}
