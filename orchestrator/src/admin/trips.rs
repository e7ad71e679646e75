//! What the gateway shows travellers of their trips and bookings, read on
//! the gateway's connection so that row-level security (its role, the
//! user's id) decides which rows are seen.
//!
//! The summary is cut out of the saga's state in SQL (places, dates,
//! cabin, price, the number of passengers), so passengers' data never
//! reaches the gateway; the state's personal fields may be sealed.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// A trip as its saga records it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TripRecord {
    pub status: String,
    pub terminal: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Places, dates, cabin, price and the number of passengers (JSON).
    pub summary: Option<Value>,
    /// Why a failed saga failed (JSON).
    pub failure: Option<Value>,
    /// The phase of a cancelled saga (JSON).
    pub cancelled: Option<Value>,
    pub booking_id: Option<Uuid>,
}

/// The saga of `trip_id`, if the connection sees it.
pub async fn trip(
    conn: &mut PgConnection,
    trip_id: Uuid,
) -> Result<Option<TripRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.status, s.terminal, s.created_at, s.updated_at, \
                jsonb_strip_nulls(jsonb_build_object( \
                    'origin', s.state->'trip'->'origin', \
                    'destination', s.state->'trip'->'destination', \
                    'departure_date', s.state->'trip'->'departure_date', \
                    'return_date', s.state->'trip'->'return_date', \
                    'cabin_class', s.state->'trip'->'cabin_class', \
                    'max_price', s.state->'trip'->'max_price', \
                    'max_stops', s.state->'trip'->'max_stops', \
                    'passengers', CASE WHEN jsonb_typeof(s.state->'trip'->'passengers') = 'array' \
                                       THEN jsonb_array_length(s.state->'trip'->'passengers') END)) AS summary, \
                CASE WHEN s.status = 'failed' THEN s.state->'phase'->'reason' END AS failure, \
                CASE WHEN s.status = 'cancelled' THEN s.state->'phase' END AS cancelled, \
                b.id AS booking_id \
         FROM sagas s \
         LEFT JOIN bookings b ON b.saga_id = s.id \
         WHERE s.id = $1",
    )
    .bind(trip_id)
    .fetch_optional(conn)
    .await
}

/// One transition of a trip's saga.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TripTransition {
    pub from_status: Option<String>,
    pub to_status: String,
    pub message_type: String,
    pub recorded_at: DateTime<Utc>,
}

/// The transitions of the saga `trip_id`, oldest first.
pub async fn history(
    conn: &mut PgConnection,
    trip_id: Uuid,
) -> Result<Vec<TripTransition>, sqlx::Error> {
    sqlx::query_as(
        "SELECT from_status, to_status, message_type, recorded_at \
         FROM saga_audit WHERE saga_id = $1 ORDER BY version",
    )
    .bind(trip_id)
    .fetch_all(conn)
    .await
}

/// Whether the connection sees the saga `id`.
pub async fn saga_exists(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM sagas WHERE id = $1)")
        .bind(id)
        .fetch_one(conn)
        .await
}

/// A booking as the orchestrator's read model keeps it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BookingRecord {
    pub saga_id: Uuid,
    pub status: String,
    pub booking_reference: String,
    pub amount_minor: i64,
    pub currency: String,
    pub refunded_minor: Option<i64>,
    pub itinerary: Value,
    pub booked_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// The booking `booking_id`, if the connection sees it.
pub async fn booking(
    conn: &mut PgConnection,
    booking_id: Uuid,
) -> Result<Option<BookingRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT saga_id, status, booking_reference, amount_minor, currency, refunded_minor, \
                itinerary, booked_at, cancelled_at \
         FROM bookings WHERE id = $1",
    )
    .bind(booking_id)
    .fetch_optional(conn)
    .await
}
