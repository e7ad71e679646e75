//! Reading the flag tables (see `migrations/..._feature_flags.sql`): the
//! version, a consistent snapshot for the cached reader, and the raw values
//! with who set them for `autobook ops flags get`, and a user's own
//! settings for their data export.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgPool, Row};

use super::snapshot::Snapshot;
use crate::decision::{FlagDecision, decide, pipeline_for_user};
use crate::error::FlagError;

/// The global kill switch's name in `feature_flags`.
pub const KILL_SWITCH: &str = "kill_switch";
/// The pipeline flag's name in `feature_flags` and its overrides.
pub const PIPELINE: &str = "auto_booking_pipeline_enabled";
/// The channel every change is announced on, with the new version.
pub const FLAGS_CHANGED_CHANNEL: &str = "autobook_flags_changed";

/// The version of the flag tables.
pub async fn version(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM feature_flag_version")
        .fetch_one(pool)
        .await
}

/// Every flag value, read in one read-only repeatable-read transaction so
/// the version matches the values.
pub async fn load_snapshot(pool: &PgPool) -> Result<Snapshot, FlagError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let version: i64 = sqlx::query_scalar("SELECT version FROM feature_flag_version")
        .fetch_one(&mut *tx)
        .await?;
    let globals: HashMap<String, bool> =
        sqlx::query_as::<_, (String, bool)>("SELECT name, enabled FROM feature_flags")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let pipeline_overrides: HashMap<String, bool> = sqlx::query_as::<_, (String, bool)>(
        "SELECT user_id, enabled FROM feature_flag_user_overrides WHERE flag = $1",
    )
    .bind(PIPELINE)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    tx.commit().await?;
    let global = |name: &'static str| globals.get(name).copied().ok_or(FlagError::Missing(name));
    Ok(Snapshot {
        version,
        kill_switch: global(KILL_SWITCH)?,
        pipeline_default: global(PIPELINE)?,
        pipeline_overrides,
    })
}

/// One stored value and the last change to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredValue {
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
    pub reason: String,
}

/// A user's pipeline override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserOverride {
    pub user_id: String,
    #[serde(flatten)]
    pub value: StoredValue,
}

/// The stored values that decide for one user (or for everyone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawValues {
    pub version: i64,
    pub kill_switch: StoredValue,
    pub pipeline_default: StoredValue,
    /// The asked-about user's override, if they have one.
    pub pipeline_override: Option<UserOverride>,
}

impl RawValues {
    /// The pipeline flag as it applies (to the user, if one was asked about).
    pub fn pipeline_enabled(&self) -> bool {
        pipeline_for_user(
            self.pipeline_default.enabled,
            self.pipeline_override.as_ref().map(|o| o.value.enabled),
        )
    }

    /// The decision these values give.
    pub fn decision(&self) -> FlagDecision {
        decide(self.kill_switch.enabled, self.pipeline_enabled())
    }
}

/// The raw values straight from the tables (no cache): the globals and,
/// given a user, that user's override.
pub async fn read_values(pool: &PgPool, user_id: Option<&str>) -> Result<RawValues, FlagError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let version: i64 = sqlx::query_scalar("SELECT version FROM feature_flag_version")
        .fetch_one(&mut *tx)
        .await?;
    let rows =
        sqlx::query("SELECT name, enabled, updated_at, updated_by, reason FROM feature_flags")
            .fetch_all(&mut *tx)
            .await?;
    let mut globals = HashMap::new();
    for row in rows {
        globals.insert(row.try_get::<String, _>("name")?, stored_value(&row)?);
    }
    let pipeline_override = match user_id {
        Some(user_id) => sqlx::query(
            "SELECT enabled, updated_at, updated_by, reason FROM feature_flag_user_overrides \
             WHERE flag = $1 AND user_id = $2",
        )
        .bind(PIPELINE)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|row| {
            Ok::<_, sqlx::Error>(UserOverride {
                user_id: user_id.to_owned(),
                value: stored_value(&row)?,
            })
        })
        .transpose()?,
        None => None,
    };
    tx.commit().await?;
    let mut take = |name: &'static str| globals.remove(name).ok_or(FlagError::Missing(name));
    Ok(RawValues {
        version,
        kill_switch: take(KILL_SWITCH)?,
        pipeline_default: take(PIPELINE)?,
        pipeline_override,
    })
}

fn stored_value(row: &sqlx::postgres::PgRow) -> Result<StoredValue, sqlx::Error> {
    Ok(StoredValue {
        enabled: row.try_get("enabled")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
        reason: row.try_get("reason")?,
    })
}

/// One of a user's own flag settings, as their data export shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSetting {
    pub flag: String,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
}

/// Every flag override set for `user_id`.
pub async fn user_settings(pool: &PgPool, user_id: &str) -> Result<Vec<UserSetting>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT flag, enabled, updated_at FROM feature_flag_user_overrides WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(UserSetting {
                flag: row.try_get("flag")?,
                enabled: row.try_get("enabled")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .collect()
}
