//! `GET /v1/me/export`: everything autobook holds on a user, as one JSON
//! document: each trip (the request as stored, where it stands, its
//! history), its passengers, the offers it committed to, its booking; the
//! trips accepted but not yet started; erasures under way; per-user flag
//! settings. Personal data is opened for its owner, each value at its own
//! place: a value copied in from another traveller's row does not open,
//! and the export is refused rather than show it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use autobook_contracts::codes::UserId;
use autobook_vault::{Keyring, Place};

use super::PrivacyError;
use crate::gateway::db::as_user;

/// The export of `user`'s data as of `now`.
pub async fn export(
    pool: &PgPool,
    vault: &Keyring,
    user: &UserId,
    now: DateTime<Utc>,
) -> Result<Value, PrivacyError> {
    let mut tx = as_user(pool, user).await?;
    let mut trips = Vec::new();
    for row in sqlx::query(
        "SELECT id, status, terminal, state, created_at, updated_at, completed_at \
         FROM sagas ORDER BY created_at, id",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let id: Uuid = row.get("id");
        let state = vault.open_json(row.get("state"), &Place::saga(id))?;
        trips.push(json!({
            "trip_id": id,
            "status": row.get::<String, _>("status"),
            "finished": row.get::<bool, _>("terminal"),
            "created_at": row.get::<DateTime<Utc>, _>("created_at"),
            "updated_at": row.get::<DateTime<Utc>, _>("updated_at"),
            "completed_at": row.get::<Option<DateTime<Utc>>, _>("completed_at"),
            "request": state.get("trip").cloned().unwrap_or(Value::Null),
            "state": state,
            "history": history(&mut tx, id).await?,
            "passengers": passengers(&mut tx, vault, id).await?,
            "offers": offers(&mut tx, id).await?,
            "booking": booking(&mut tx, id).await?,
        }));
    }
    let submissions: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('trip_id', trip_id, 'idempotency_key', idempotency_key, \
         'submitted_at', submitted_at) FROM trip_submissions t \
         WHERE NOT EXISTS (SELECT 1 FROM sagas s WHERE s.id = t.trip_id) ORDER BY submitted_at",
    )
    .fetch_all(&mut *tx)
    .await?;
    let erasures: Vec<Value> = sqlx::query_scalar(
        "SELECT jsonb_build_object('erasure_id', id, 'status', status, 'requested_at', requested_at) \
         FROM erasures ORDER BY requested_at",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let flags = sqlx::query(
        "SELECT flag, enabled, updated_at FROM feature_flag_user_overrides WHERE user_id = $1",
    )
    .bind(user.as_str())
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        json!({
            "flag": row.get::<String, _>("flag"),
            "enabled": row.get::<bool, _>("enabled"),
            "updated_at": row.get::<DateTime<Utc>, _>("updated_at"),
        })
    })
    .collect::<Vec<_>>();
    Ok(json!({
        "user_id": user.as_str(),
        "exported_at": now,
        "trips": trips,
        "trips_not_started": submissions,
        "erasures": erasures,
        "flag_settings": flags,
    }))
}

type Tx = Transaction<'static, Postgres>;

async fn history(tx: &mut Tx, saga: Uuid) -> Result<Vec<Value>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT version, message_type, from_status, to_status, recorded_at FROM saga_audit \
         WHERE saga_id = $1 ORDER BY version",
    )
    .bind(saga)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| {
        json!({
            "version": row.get::<i64, _>("version"),
            "event": row.get::<String, _>("message_type"),
            "from": row.get::<Option<String>, _>("from_status"),
            "to": row.get::<String, _>("to_status"),
            "at": row.get::<DateTime<Utc>, _>("recorded_at"),
        })
    })
    .collect())
}

async fn passengers(tx: &mut Tx, vault: &Keyring, saga: Uuid) -> Result<Vec<Value>, PrivacyError> {
    let rows = sqlx::query(
        "SELECT position, title, gender, given_name, family_name, born_on, email, phone_number, \
         erased_at FROM passengers WHERE saga_id = $1 ORDER BY position",
    )
    .bind(saga)
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let place = Place::passenger(saga, row.get::<i16, _>("position"));
        let open =
            |column: &'static str| vault.open_str(row.get::<&str, _>(column), &place, column);
        out.push(json!({
            "title": row.get::<String, _>("title"),
            "gender": row.get::<String, _>("gender"),
            "given_name": open("given_name")?,
            "family_name": open("family_name")?,
            "born_on": open("born_on")?,
            "email": open("email")?,
            "phone_number": open("phone_number")?,
            "erased_at": row.get::<Option<DateTime<Utc>>, _>("erased_at"),
        }));
    }
    Ok(out)
}

async fn offers(tx: &mut Tx, saga: Uuid) -> Result<Vec<Value>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT summary, selected_at FROM offers WHERE saga_id = $1 ORDER BY selected_at",
    )
    .bind(saga)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|row| {
        json!({
            "offer": row.get::<Value, _>("summary"),
            "selected_at": row.get::<DateTime<Utc>, _>("selected_at"),
        })
    })
    .collect())
}

async fn booking(tx: &mut Tx, saga: Uuid) -> Result<Option<Value>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, status, order_id, booking_reference, amount_minor, currency, refunded_minor, \
         itinerary, booked_at, cancelled_at FROM bookings WHERE saga_id = $1",
    )
    .bind(saga)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|row| {
        json!({
            "booking_id": row.get::<Uuid, _>("id"),
            "status": row.get::<String, _>("status"),
            "order_id": row.get::<String, _>("order_id"),
            "booking_reference": row.get::<String, _>("booking_reference"),
            "amount_minor": row.get::<i64, _>("amount_minor"),
            "currency": row.get::<String, _>("currency"),
            "refunded_minor": row.get::<Option<i64>, _>("refunded_minor"),
            "itinerary": row.get::<Value, _>("itinerary"),
            "booked_at": row.get::<DateTime<Utc>, _>("booked_at"),
            "cancelled_at": row.get::<Option<DateTime<Utc>>, _>("cancelled_at"),
        })
    }))
}
