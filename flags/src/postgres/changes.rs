//! Changing flags in PostgreSQL, each change with its audit row in the same
//! transaction (who, why, the old and the new value). The tables' triggers
//! bump the version and announce the change to every reader at commit.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};

use autobook_contracts::codes::UserId;

use super::store::{KILL_SWITCH, PIPELINE};
use crate::error::FlagError;

/// Longest `by` kept.
const MAX_BY: usize = 100;
/// Longest reason kept.
const MAX_REASON: usize = 500;

/// Who changes a flag and why: both required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeNote {
    by: String,
    reason: String,
}

impl ChangeNote {
    /// Both trimmed; neither may be empty or over its limit (100 and 500
    /// characters).
    pub fn new(by: &str, reason: &str) -> Result<Self, FlagError> {
        Ok(ChangeNote {
            by: required("who (--by)", by, MAX_BY)?,
            reason: required("the reason (--reason)", reason, MAX_REASON)?,
        })
    }

    pub fn by(&self) -> &str {
        &self.by
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

fn required(what: &str, text: &str, max: usize) -> Result<String, FlagError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FlagError::Invalid(format!("{what} is required")));
    }
    if text.chars().count() > max {
        return Err(FlagError::Invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    Ok(text.to_owned())
}

/// A change as recorded in `feature_flag_audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub audit_id: i64,
    pub flag: String,
    /// `None`: the global value.
    pub user_id: Option<String>,
    /// `None`: there was no value (a new override).
    pub old_enabled: Option<bool>,
    /// `None`: the override was removed.
    pub new_enabled: Option<bool>,
    pub changed_by: String,
    pub reason: String,
    pub changed_at: DateTime<Utc>,
}

/// Throws (`on`) or releases the kill switch.
pub async fn set_kill_switch(
    pool: &PgPool,
    on: bool,
    note: &ChangeNote,
) -> Result<Change, FlagError> {
    set_global(pool, KILL_SWITCH, on, note).await
}

/// Sets the pipeline flag for everyone (the default) or, given a user, that
/// user's override.
pub async fn set_pipeline(
    pool: &PgPool,
    user: Option<&UserId>,
    enabled: bool,
    note: &ChangeNote,
) -> Result<Change, FlagError> {
    let Some(user) = user else {
        return set_global(pool, PIPELINE, enabled, note).await;
    };
    let mut tx = pool.begin().await?;
    let old: Option<bool> = sqlx::query_scalar(
        "SELECT enabled FROM feature_flag_user_overrides \
         WHERE flag = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(PIPELINE)
    .bind(user.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO feature_flag_user_overrides (flag, user_id, enabled, updated_by, reason) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (flag, user_id) DO UPDATE SET enabled = EXCLUDED.enabled, \
         updated_at = now(), updated_by = EXCLUDED.updated_by, reason = EXCLUDED.reason",
    )
    .bind(PIPELINE)
    .bind(user.as_str())
    .bind(enabled)
    .bind(note.by())
    .bind(note.reason())
    .execute(&mut *tx)
    .await?;
    let change = audit(
        &mut tx,
        PIPELINE,
        Some(user.as_str()),
        old,
        Some(enabled),
        note,
    )
    .await?;
    tx.commit().await?;
    Ok(change)
}

/// Removes a user's pipeline override: the global default applies to them
/// again. `None` when they had none (nothing is changed or recorded).
pub async fn clear_pipeline_override(
    pool: &PgPool,
    user: &UserId,
    note: &ChangeNote,
) -> Result<Option<Change>, FlagError> {
    let mut tx = pool.begin().await?;
    let old: Option<bool> = sqlx::query_scalar(
        "DELETE FROM feature_flag_user_overrides WHERE flag = $1 AND user_id = $2 \
         RETURNING enabled",
    )
    .bind(PIPELINE)
    .bind(user.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(old) = old else {
        return Ok(None);
    };
    let change = audit(
        &mut tx,
        PIPELINE,
        Some(user.as_str()),
        Some(old),
        None,
        note,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(change))
}

/// The most recent changes, newest first; given a user, theirs and the
/// global ones.
pub async fn history(
    pool: &PgPool,
    user_id: Option<&str>,
    limit: i64,
) -> Result<Vec<Change>, FlagError> {
    let rows = sqlx::query_as::<_, AuditRow>(
        "SELECT id, flag, user_id, old_enabled, new_enabled, changed_by, reason, changed_at \
         FROM feature_flag_audit \
         WHERE user_id IS NULL OR user_id = $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Change::from).collect())
}

async fn set_global(
    pool: &PgPool,
    name: &'static str,
    enabled: bool,
    note: &ChangeNote,
) -> Result<Change, FlagError> {
    let mut tx = pool.begin().await?;
    let old: Option<bool> =
        sqlx::query_scalar("SELECT enabled FROM feature_flags WHERE name = $1 FOR UPDATE")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query(
        "INSERT INTO feature_flags (name, enabled, updated_by, reason) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now(), \
         updated_by = EXCLUDED.updated_by, reason = EXCLUDED.reason",
    )
    .bind(name)
    .bind(enabled)
    .bind(note.by())
    .bind(note.reason())
    .execute(&mut *tx)
    .await?;
    let change = audit(&mut tx, name, None, old, Some(enabled), note).await?;
    tx.commit().await?;
    Ok(change)
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    flag: String,
    user_id: Option<String>,
    old_enabled: Option<bool>,
    new_enabled: Option<bool>,
    changed_by: String,
    reason: String,
    changed_at: DateTime<Utc>,
}

impl From<AuditRow> for Change {
    fn from(row: AuditRow) -> Self {
        Change {
            audit_id: row.id,
            flag: row.flag,
            user_id: row.user_id,
            old_enabled: row.old_enabled,
            new_enabled: row.new_enabled,
            changed_by: row.changed_by,
            reason: row.reason,
            changed_at: row.changed_at,
        }
    }
}

async fn audit(
    tx: &mut Transaction<'_, Postgres>,
    flag: &str,
    user_id: Option<&str>,
    old_enabled: Option<bool>,
    new_enabled: Option<bool>,
    note: &ChangeNote,
) -> Result<Change, FlagError> {
    let row = sqlx::query_as::<_, AuditRow>(
        "INSERT INTO feature_flag_audit \
         (flag, user_id, old_enabled, new_enabled, changed_by, reason) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, flag, user_id, old_enabled, new_enabled, changed_by, reason, changed_at",
    )
    .bind(flag)
    .bind(user_id)
    .bind(old_enabled)
    .bind(new_enabled)
    .bind(note.by())
    .bind(note.reason())
    .fetch_one(&mut **tx)
    .await?;
    Ok(row.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_needs_who_and_why() {
        let note = ChangeNote::new("  ana ", " Stripe incident ").unwrap();
        assert_eq!((note.by(), note.reason()), ("ana", "Stripe incident"));
        for (by, reason) in [("", "why"), ("ana", "   "), (&"x".repeat(101), "why")] {
            let refused = ChangeNote::new(by, reason);
            assert!(
                matches!(refused, Err(FlagError::Invalid(_))),
                "{by:?} {reason:?}: {refused:?}"
            );
        }
    }
}
