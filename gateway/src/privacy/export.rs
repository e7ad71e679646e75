//! `GET /v1/me/export`: everything autobook holds on a user, as one JSON
//! document: each trip (the request as stored, where it stands, its
//! history), its passengers, the offers it committed to, its booking
//! (read by the orchestrator's
//! [`admin::export`](autobook_orchestrator::admin::export)); the trips
//! accepted but not yet started; erasures under way; per-user flag
//! settings (from the flags' store). Personal data is opened for its
//! owner, each value at its own place: a value copied in from another
//! traveller's row does not open, and the export is refused rather than
//! show it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_orchestrator::admin::export::{self as trips, ExportError};
use autobook_vault::Keyring;

use super::PrivacyError;
use crate::db::as_user;

impl From<ExportError> for PrivacyError {
    fn from(error: ExportError) -> Self {
        match error {
            ExportError::Database(e) => PrivacyError::Database(e),
            ExportError::Sealed(e) => PrivacyError::Sealed(e),
        }
    }
}

/// The export of `user`'s data as of `now`.
pub async fn export(
    pool: &PgPool,
    vault: &Keyring,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<Value, PrivacyError> {
    let mut tx = as_user(pool, user).await?;
    let exported = trips::trips(&mut tx, vault).await?;
    let started: HashSet<Uuid> = exported.iter().map(|t| t.id).collect();
    let submissions: Vec<Value> = autobook_orchestrator::submissions::exported(&mut tx)
        .await?
        .into_iter()
        .filter(|(trip_id, _)| !started.contains(trip_id))
        .map(|(_, submission)| submission)
        .collect();
    let erasures = trips::erasures(&mut tx).await?;
    tx.commit().await?;
    let flags: Vec<Value> = autobook_flags::postgres::user_settings(pool, user.as_str())
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "flag": s.flag,
                "enabled": s.enabled,
                "updated_at": s.updated_at,
            })
        })
        .collect();
    let trips: Vec<Value> = exported.into_iter().map(|t| t.document).collect();
    Ok(json!({
        "user_id": user.as_str(),
        "exported_at": now,
        "trips": trips,
        "trips_not_started": submissions,
        "erasures": erasures,
        "flag_settings": flags,
    }))
}
