//! Infants on laps, the order rule: an infant passenger of the offer
//! (`infant_without_seat`, under 2) takes no seat and must be carried by
//! exactly one adult passenger of the order, whose entry names it in
//! `infant_passenger_id`. An `infant_passenger_id` on anyone but an adult,
//! naming anyone but an infant of the offer, or naming an infant another
//! adult already carries is refused (422, naming the field).

use std::collections::BTreeMap;

use super::errors::DuffelError;
use super::model::{Offer, PassengerKind};
use super::order_request::OrderRequest;

/// Checks the laps of an order whose passenger ids are the offer's.
pub(crate) fn check(offer: &Offer, request: &OrderRequest) -> Result<(), DuffelError> {
    let kind_of = |id: &str| offer.passengers.iter().find(|p| p.id == id).map(|p| p.kind);
    // Infant id -> the adult (order passenger index) carrying it.
    let mut carried: BTreeMap<&str, usize> = BTreeMap::new();
    for (index, passenger) in request.passengers.iter().enumerate() {
        let Some(infant) = passenger.infant_passenger_id.as_deref() else {
            continue;
        };
        let field = format!("passengers[{index}].infant_passenger_id");
        if kind_of(&passenger.id) != Some(PassengerKind::Adult) {
            return Err(DuffelError::invalid(
                &field,
                format!("Field '{field}' may only be set on an adult passenger"),
            ));
        }
        if kind_of(infant) != Some(PassengerKind::Infant) {
            return Err(DuffelError::invalid(
                &field,
                format!("Field '{field}' must be the id of an infant passenger of the offer"),
            ));
        }
        if carried.insert(infant, index).is_some() {
            return Err(DuffelError::invalid(
                &field,
                format!("Field '{field}' names an infant another adult already carries"),
            ));
        }
    }
    for (index, passenger) in request.passengers.iter().enumerate() {
        if kind_of(&passenger.id) == Some(PassengerKind::Infant)
            && !carried.contains_key(passenger.id.as_str())
        {
            let field = format!("passengers[{index}]");
            return Err(DuffelError::required_because(
                &field,
                format!(
                    "Infant passenger '{}' must travel on an adult's lap: set 'infant_passenger_id' on one adult passenger",
                    passenger.id
                ),
            ));
        }
    }
    Ok(())
}
