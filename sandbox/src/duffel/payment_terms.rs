//! Payment terms of offers (Duffel's `payment_requirements`): whether an
//! airline wants paying at booking or gives a deadline.
//!
//! Most airlines want instant payment: `requires_instant_payment` true and
//! no deadlines. About a third, fixed per airline, let an order be paid
//! later and quote a `payment_required_by` (and an equal
//! `price_guarantee_expires_at`) two thirds of the way through the offer's
//! life: 20 minutes after the search with the usual 30-minute offers, so
//! before the offer expires and a client has to mind both.

use chrono::{DateTime, Utc};

use crate::ids::stable_hash;

/// True for the airlines that accept payment after booking.
fn pays_later(airline: &str) -> bool {
    stable_hash(&[airline, "payment"]).is_multiple_of(3)
}

/// When an order on an offer of `airline` created at `created_at` and
/// expiring at `expires_at` must be paid; `None` when payment is instant.
pub(crate) fn payment_required_by(
    airline: &str,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    pays_later(airline).then(|| created_at + (expires_at - created_at) * 2 / 3)
}

#[cfg(test)]
mod tests {
    use autobook_contracts::catalogue::AIRLINES;
    use chrono::Duration;

    use super::*;

    #[test]
    fn some_airlines_quote_a_deadline_before_expiry_and_most_none() {
        let created = DateTime::from_timestamp(1_900_000_000, 0).unwrap();
        let expires = created + Duration::minutes(30);
        let deadlines: Vec<Option<DateTime<Utc>>> = AIRLINES
            .iter()
            .map(|airline| payment_required_by(airline.iata, created, expires))
            .collect();
        let later = deadlines.iter().flatten().count();
        assert!(later > 0 && later * 2 < deadlines.len(), "{later}");
        for by in deadlines.iter().flatten() {
            assert_eq!(*by, created + Duration::minutes(20));
        }
        let airline = AIRLINES[0].iata;
        assert_eq!(
            payment_required_by(airline, created, expires),
            payment_required_by(airline, created, expires)
        );
    }
}
