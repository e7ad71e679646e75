//! A traveller's trips and erasures as their export shows them
//! (`GET /v1/me/export`): each trip (the request as stored, where it
//! stands, its history), its passengers, the offers it committed to, its
//! booking. Read on the caller's connection, so that the gateway's
//! row-level security (its role, the user's id) decides which rows are
//! seen. Personal data is opened for its owner, each value at its own
//! place: a value copied in from another traveller's row does not open,
//! and the export is refused rather than show it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use autobook_vault::{Keyring, Place, VaultError};

use crate::store::open_state_json;

/// Why the trips could not be exported.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Stored personal data could not be opened (a key is missing, or a
    /// value is not at its place).
    #[error(transparent)]
    Sealed(#[from] VaultError),
}

/// One trip of the export.
#[derive(Debug, Clone)]
pub struct ExportedTrip {
    pub id: Uuid,
    pub document: Value,
}

/// Every trip the connection sees, oldest first.
pub async fn trips(
    conn: &mut PgConnection,
    vault: &Keyring,
) -> Result<Vec<ExportedTrip>, ExportError> {
    let mut trips = Vec::new();
    for row in sqlx::query(
        "SELECT id, status, terminal, state, created_at, updated_at, completed_at \
         FROM sagas ORDER BY created_at, id",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let id: Uuid = row.get("id");
        let state = open_state_json(vault, id, row.get("state"))?;
        let document = json!({
            "trip_id": id,
            "status": row.get::<String, _>("status"),
            "finished": row.get::<bool, _>("terminal"),
            "created_at": row.get::<DateTime<Utc>, _>("created_at"),
            "updated_at": row.get::<DateTime<Utc>, _>("updated_at"),
            "completed_at": row.get::<Option<DateTime<Utc>>, _>("completed_at"),
            "request": state.get("trip").cloned().unwrap_or(Value::Null),
            "state": state,
            "history": history(conn, id).await?,
            "passengers": passengers(conn, vault, id).await?,
            "offers": offers(conn, id).await?,
            "booking": booking(conn, id).await?,
        });
        trips.push(ExportedTrip { id, document });
    }
    Ok(trips)
}

/// Every erasure the connection sees, oldest first.
pub async fn erasures(conn: &mut PgConnection) -> Result<Vec<Value>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT jsonb_build_object('erasure_id', id, 'status', status, 'requested_at', requested_at) \
         FROM erasures ORDER BY requested_at",
    )
    .fetch_all(conn)
    .await
}

async fn history(conn: &mut PgConnection, saga: Uuid) -> Result<Vec<Value>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT version, message_type, from_status, to_status, recorded_at FROM saga_audit \
         WHERE saga_id = $1 ORDER BY version",
    )
    .bind(saga)
    .fetch_all(conn)
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

async fn passengers(
    conn: &mut PgConnection,
    vault: &Keyring,
    saga: Uuid,
) -> Result<Vec<Value>, ExportError> {
    let rows = sqlx::query(
        "SELECT position, title, gender, given_name, family_name, born_on, email, phone_number, \
         erased_at FROM passengers WHERE saga_id = $1 ORDER BY position",
    )
    .bind(saga)
    .fetch_all(conn)
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

async fn offers(conn: &mut PgConnection, saga: Uuid) -> Result<Vec<Value>, sqlx::Error> {
    Ok(sqlx::query(
        "SELECT summary, selected_at FROM offers WHERE saga_id = $1 ORDER BY selected_at",
    )
    .bind(saga)
    .fetch_all(conn)
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

async fn booking(conn: &mut PgConnection, saga: Uuid) -> Result<Option<Value>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, status, order_id, booking_reference, amount_minor, currency, refunded_minor, \
         itinerary, booked_at, cancelled_at FROM bookings WHERE saga_id = $1",
    )
    .bind(saga)
    .fetch_optional(conn)
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
