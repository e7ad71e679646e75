//! For the row-level security tests: one user's rows in every table of the
//! orchestrator that holds user data, written as the tables' owner, and the
//! hand-written queries a traveller would try through the gateway's
//! database role (which the tests run as that role; they must see or
//! change nothing of another user's).

use sqlx::PgPool;
use uuid::Uuid;

/// The ids of the rows planted for one user.
#[derive(Debug, Clone, Copy)]
pub struct PlantedRows {
    pub saga: Uuid,
    pub booking: Uuid,
}

/// Plants `user`'s rows in sagas, saga_audit, passengers, offers, bookings,
/// erasures and trip_submissions (a booked saga with its reference `PNR`
/// and the user's name letters 5 to 7 upper-cased, and its submission under
/// the idempotency key `key-1`).
pub async fn plant_user_rows(pool: &PgPool, user: &str) -> Result<PlantedRows, sqlx::Error> {
    let (saga, booking) = (Uuid::now_v7(), Uuid::now_v7());
    let statements = [
        "INSERT INTO sagas (id, user_id, status, terminal, state, version) \
         VALUES ($1, $2, 'booked', true, '{}', 3)",
        "INSERT INTO saga_audit (saga_id, version, message_id, message_type, from_status, to_status, effects) \
         VALUES ($1, 1, gen_random_uuid(), 'trip.requested', NULL, 'searching', '[]')",
        "INSERT INTO passengers (saga_id, position, user_id, title, gender, given_name, family_name, \
         born_on, email, phone_number, travel_ends_on) \
         VALUES ($1, 0, $2, 'ms', 'f', 'pii:v1:k1:x', 'pii:v1:k1:y', 'pii:v1:k1:z', 'pii:v1:k1:e', \
         'pii:v1:k1:p', '2027-03-14')",
        "INSERT INTO offers (saga_id, offer_id, user_id, summary, total_minor, currency, expires_at) \
         VALUES ($1, 'off_' || $2, $2, '{}', 24500, 'USD', now() + interval '1 hour')",
        "INSERT INTO bookings (id, saga_id, user_id, status, order_id, booking_reference, \
         payment_intent_id, amount_minor, currency, itinerary) \
         VALUES ($3, $1, $2, 'confirmed', 'ord_1', 'PNR' || upper(substr($2, 5, 3)), 'pi_1', 24500, 'USD', '[]')",
        "INSERT INTO erasures (id, subject, user_id, status) VALUES ($3, 'subject-' || $2, $2, 'completed')",
        "INSERT INTO trip_submissions (trip_id, user_id, idempotency_key, request_hash) \
         VALUES ($1, $2, 'key-1', 'hash')",
    ];
    for statement in statements {
        let mut query = sqlx::query(statement).bind(saga);
        if statement.contains("$2") {
            query = query.bind(user);
        }
        if statement.contains("$3") {
            query = query.bind(booking);
        }
        query.execute(pool).await?;
    }
    Ok(PlantedRows { saga, booking })
}

/// The orchestrator's tables holding user data, each with the expression
/// that tells whose a row is.
pub const USER_TABLES: &[(&str, &str)] = &[
    ("sagas", "user_id"),
    ("passengers", "user_id"),
    ("offers", "user_id"),
    ("bookings", "user_id"),
    ("erasures", "user_id"),
    (
        "saga_audit",
        "(SELECT s.user_id FROM sagas s WHERE s.id = saga_audit.saga_id)",
    ),
    ("trip_submissions", "user_id"),
];

/// A query for the owner of the saga or the booking given, through every
/// join of saga, booking and passengers.
pub fn owner_across_joins(saga: Uuid, booking: Uuid) -> String {
    format!(
        "SELECT s.user_id FROM sagas s JOIN bookings b ON b.saga_id = s.id \
         JOIN passengers p ON p.saga_id = s.id WHERE s.id = '{saga}' OR b.id = '{booking}'"
    )
}

/// A query for the owner of booking `booking`.
pub fn booking_owner(booking: Uuid) -> String {
    format!("SELECT user_id FROM bookings WHERE id = '{booking}'")
}

/// Writes to another user's rows: their saga's status, their booking, an
/// erasure and a trip submission in their name.
pub fn writes_to_others_rows(saga: Uuid, booking: Uuid, other_user: &str) -> Vec<String> {
    vec![
        format!("UPDATE sagas SET status = 'failed' WHERE id = '{saga}'"),
        format!("DELETE FROM bookings WHERE id = '{booking}'"),
        format!(
            "INSERT INTO erasures (id, subject, user_id, status) \
             VALUES (gen_random_uuid(), 's', '{other_user}', 'pending')"
        ),
        format!(
            "INSERT INTO trip_submissions (trip_id, user_id, request_hash) \
             VALUES (gen_random_uuid(), '{other_user}', 'h')"
        ),
    ]
}
