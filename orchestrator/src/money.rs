//! The money records of sagas, as reconciliation reads them: for each saga,
//! whether automation (or an operator) still works on it, the payment
//! intents and airline orders it counts on, and what it recorded captured
//! and refunded.
//!
//! [`standing`] derives that from a saga's state (pure); [`records_since`]
//! and [`records_of`] read it from `sagas` (decoded by the store's one
//! decoder) and the `bookings` projection. Nothing here names a traveller:
//! a record holds ids, statuses and amounts only.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use autobook_contracts::money::Money;
use autobook_vault::Keyring;

use crate::saga::Saga;
use crate::saga::state::{Booking, Outcome, Phase};
use crate::store::{StoreError, decode_state};

/// What one saga recorded about money, and whether it may still move it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyRecord {
    pub saga_id: Uuid,
    /// Its status column value.
    pub status: &'static str,
    pub standing: Standing,
}

/// Where a saga stands with the providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// A step is in flight, paused, waiting on an unknown outcome, or stuck
    /// waiting for an operator: its objects are not judged yet, and it
    /// counts on these intents and orders, and on any intent made under
    /// one of its pending step keys (`metadata[idempotency_key]`).
    Open {
        intents: BTreeSet<String>,
        orders: BTreeSet<String>,
        pending_keys: BTreeSet<String>,
    },
    /// Booked: captured on this intent, ticketed by this order.
    Booked {
        payment_intent_id: String,
        order_id: String,
        captured: Money,
        order_amount: Money,
    },
    /// Failed: nothing may be captured, held or ticketed.
    Failed,
    /// Cancelled by the traveller: what was charged and refunded, and the
    /// booking's intent and order when it had been booked.
    Cancelled {
        charged: Option<Money>,
        refunded: Option<Money>,
        booking: Option<BookedObjects>,
    },
    /// Ended by an operator, who settled its money by hand: it counts on
    /// nothing.
    Aborted,
}

/// The intent and order of a booking, from the `bookings` projection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedObjects {
    pub payment_intent_id: String,
    pub order_id: String,
}

/// Records read, and the sagas whose state could not be decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MoneyRecords {
    pub records: Vec<MoneyRecord>,
    pub unreadable: Vec<Uuid>,
}

impl Standing {
    /// Whether the saga counts on intent `id`, made under `idempotency_key`
    /// (its `metadata[idempotency_key]`, if any).
    pub fn counts_on_intent(&self, id: &str, idempotency_key: Option<&str>) -> bool {
        match self {
            Standing::Open {
                intents,
                pending_keys,
                ..
            } => intents.contains(id) || idempotency_key.is_some_and(|k| pending_keys.contains(k)),
            Standing::Booked {
                payment_intent_id, ..
            } => payment_intent_id == id,
            Standing::Failed | Standing::Cancelled { .. } | Standing::Aborted => false,
        }
    }
}

/// Where `saga` stands; `booked` is its row of the `bookings` projection.
pub fn standing(saga: &Saga, booked: Option<BookedObjects>) -> Standing {
    match &saga.phase {
        Phase::Booked { booking, .. } => Standing::Booked {
            payment_intent_id: booking.payment_intent_id.clone(),
            order_id: booking.order.order_id.clone(),
            captured: booking.captured,
            order_amount: booking.order.amount,
        },
        Phase::Failed { .. } => Standing::Failed,
        Phase::Cancelled {
            charged, refunded, ..
        } => Standing::Cancelled {
            charged: *charged,
            refunded: *refunded,
            booking: booked,
        },
        Phase::Aborted { .. } => Standing::Aborted,
        open => {
            let mut objects = Objects::default();
            objects.collect(open);
            Standing::Open {
                intents: objects.intents,
                orders: objects.orders,
                pending_keys: objects.keys,
            }
        }
    }
}

/// What an open phase (and the phases it waits on) counts on.
#[derive(Default)]
struct Objects {
    intents: BTreeSet<String>,
    orders: BTreeSet<String>,
    keys: BTreeSet<String>,
}

impl Objects {
    fn collect(&mut self, phase: &Phase) {
        if let Some(key) = phase.pending_key() {
            self.keys.insert(key.as_str().to_owned());
        }
        match phase {
            Phase::Searching { .. }
            | Phase::Watching { .. }
            | Phase::Authorizing { .. }
            | Phase::Failed { .. }
            | Phase::Cancelled { .. }
            | Phase::Aborted { .. } => {}
            Phase::Ordering { hold, .. } | Phase::ReleasingHold { hold, .. } => {
                self.intents.insert(hold.payment_intent_id.clone());
            }
            Phase::Capturing { hold, order, .. } | Phase::CancellingOrder { hold, order, .. } => {
                self.intents.insert(hold.payment_intent_id.clone());
                self.orders.insert(order.order_id.clone());
            }
            Phase::CancellingBooking { booking, .. }
            | Phase::Refunding { booking, .. }
            | Phase::Booked { booking, .. } => self.booking(booking),
            Phase::Notifying { outcome, .. } => match outcome {
                Outcome::Booked { booking } => self.booking(booking),
                Outcome::Failed { .. } | Outcome::Cancelled { .. } => {}
            },
            Phase::Paused { waiting, .. } | Phase::OutcomeUnknown { waiting, .. } => {
                self.collect(waiting);
            }
            Phase::Stuck {
                hold,
                order,
                resume,
                ..
            } => {
                if let Some(hold) = hold {
                    self.intents.insert(hold.payment_intent_id.clone());
                }
                if let Some(order) = order {
                    self.orders.insert(order.order_id.clone());
                }
                if let Some(resume) = resume {
                    self.collect(resume);
                }
            }
        }
    }

    fn booking(&mut self, booking: &Booking) {
        self.intents.insert(booking.payment_intent_id.clone());
        self.orders.insert(booking.order.order_id.clone());
    }
}

/// The records of every saga still open, and of every saga updated at or
/// after `since`.
pub async fn records_since(
    pool: &PgPool,
    vault: &Keyring,
    since: DateTime<Utc>,
) -> Result<MoneyRecords, StoreError> {
    let rows = sqlx::query(
        "SELECT s.id, s.state, b.payment_intent_id, b.order_id \
         FROM sagas s LEFT JOIN bookings b ON b.saga_id = s.id \
         WHERE NOT s.terminal OR s.updated_at >= $1",
    )
    .bind(since)
    .fetch_all(pool)
    .await?;
    Ok(decode(vault, rows))
}

/// The records of the sagas `ids` that exist.
pub async fn records_of(
    pool: &PgPool,
    vault: &Keyring,
    ids: &[Uuid],
) -> Result<MoneyRecords, StoreError> {
    if ids.is_empty() {
        return Ok(MoneyRecords::default());
    }
    let rows = sqlx::query(
        "SELECT s.id, s.state, b.payment_intent_id, b.order_id \
         FROM sagas s LEFT JOIN bookings b ON b.saga_id = s.id WHERE s.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    Ok(decode(vault, rows))
}

fn decode(vault: &Keyring, rows: Vec<sqlx::postgres::PgRow>) -> MoneyRecords {
    let mut out = MoneyRecords::default();
    for row in rows {
        let id: Uuid = row.get("id");
        let booked = match (
            row.get::<Option<String>, _>("payment_intent_id"),
            row.get::<Option<String>, _>("order_id"),
        ) {
            (Some(payment_intent_id), Some(order_id)) => Some(BookedObjects {
                payment_intent_id,
                order_id,
            }),
            _ => None,
        };
        match decode_state(vault, id, row.get("state")) {
            Ok(saga) => out.records.push(MoneyRecord {
                saga_id: id,
                status: saga.phase.status(),
                standing: standing(&saga, booked),
            }),
            Err(error) => {
                tracing::warn!(saga_id = %id, %error, "a saga's state cannot be read for reconciliation");
                out.unreadable.push(id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
