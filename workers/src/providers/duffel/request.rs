//! Request bodies and parameters for Duffel, built without I/O.

use std::time::Duration;

use autobook_contracts::commands::SearchOffers;

use autobook_contracts::commands::OrderPassenger;

use super::infants;
use super::model::NewOrder;
use super::wire::{
    CancellationBody, Envelope, IdentityDocumentBody, OfferRequestBody, OrderBody,
    OrderPassengerBody, PassengerRequest, PaymentBody, SliceRequest,
};
use crate::providers::error::ProviderError;

/// Passengers of this age or older search as `{"type":"adult"}`.
pub const ADULT_AGE: u8 = 18;
/// Duffel accepts `supplier_timeout` between these (milliseconds).
pub const SUPPLIER_TIMEOUT_MIN_MS: u64 = 2_000;
pub const SUPPLIER_TIMEOUT_MAX_MS: u64 = 60_000;
/// Duffel's limits on order metadata.
pub const METADATA_MAX_ENTRIES: usize = 50;
pub const METADATA_MAX_KEY_CHARS: usize = 40;
pub const METADATA_MAX_VALUE_CHARS: usize = 500;
const MAX_PASSENGERS: usize = 9;

/// `POST /air/offer_requests` body: one slice, or two (outbound then back)
/// when the command has a return date.
pub fn search_body(command: &SearchOffers) -> Result<Envelope<OfferRequestBody>, ProviderError> {
    if command.passenger_ages.is_empty() || command.passenger_ages.len() > MAX_PASSENGERS {
        return Err(ProviderError::invalid_request(
            "a search needs 1 to 9 passengers",
        ));
    }
    if command.max_connections > 2 {
        return Err(ProviderError::invalid_request(
            "max_connections must be 0, 1 or 2",
        ));
    }
    let mut slices = vec![SliceRequest {
        origin: command.origin.to_string(),
        destination: command.destination.to_string(),
        departure_date: command.departure_date,
    }];
    if let Some(return_date) = command.return_date {
        slices.push(SliceRequest {
            origin: command.destination.to_string(),
            destination: command.origin.to_string(),
            departure_date: return_date,
        });
    }
    let passengers = command
        .passenger_ages
        .iter()
        .map(|&age| {
            if age >= ADULT_AGE {
                PassengerRequest::Adult { kind: "adult" }
            } else {
                PassengerRequest::Aged { age }
            }
        })
        .collect();
    Ok(Envelope {
        data: OfferRequestBody {
            slices,
            passengers,
            cabin_class: command.cabin_class.as_str(),
            max_connections: command.max_connections,
        },
    })
}

/// The `supplier_timeout` query value, clamped to what Duffel accepts.
pub fn supplier_timeout_millis(timeout: Duration) -> u64 {
    u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(SUPPLIER_TIMEOUT_MIN_MS, SUPPLIER_TIMEOUT_MAX_MS)
}

/// `POST /air/orders` body: an instant order paid from the balance. Each
/// infant rides on its own adult's lap (that adult carries
/// `infant_passenger_id`, see [`infants`]); identity documents are sent
/// only when the offer requires them, and then every passenger needs one.
pub fn order_body<'a>(order: &'a NewOrder<'_>) -> Result<Envelope<OrderBody<'a>>, ProviderError> {
    if order.offer_id.is_empty() {
        return Err(ProviderError::invalid_request("the offer id is empty"));
    }
    if order.amount.amount_minor <= 0 {
        return Err(ProviderError::invalid_request(
            "the order amount must be positive",
        ));
    }
    if order.passengers.is_empty() || order.passengers.len() > MAX_PASSENGERS {
        return Err(ProviderError::invalid_request(
            "an order needs 1 to 9 passengers",
        ));
    }
    check_metadata(order)?;
    let ages: Vec<Option<u8>> = order.passengers.iter().map(|p| p.age).collect();
    let laps = infants::laps(&ages).map_err(|e| ProviderError::invalid_request(&e.to_string()))?;
    let passengers = order
        .passengers
        .iter()
        .zip(laps)
        .map(|(p, lap)| {
            Ok(OrderPassengerBody {
                id: &p.passenger_id,
                born_on: p.details.born_on,
                gender: p.details.gender,
                title: p.details.title,
                given_name: p.details.given_name.expose(),
                family_name: p.details.family_name.expose(),
                email: p.details.email.expose(),
                phone_number: p.details.phone_number.expose(),
                infant_passenger_id: lap
                    .and_then(|infant| order.passengers.get(infant))
                    .map(|infant| infant.passenger_id.as_str()),
                identity_documents: documents_of(p, order.identity_documents_required)?,
            })
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    Ok(Envelope {
        data: OrderBody {
            kind: "instant",
            selected_offers: [order.offer_id],
            passengers,
            payments: [PaymentBody {
                kind: "balance",
                amount: order.amount.to_decimal(),
                currency: order.amount.currency.to_string(),
            }],
            metadata: &order.metadata,
        },
    })
}

/// The passenger's document, when the offer requires documents.
fn documents_of(
    passenger: &OrderPassenger,
    required: bool,
) -> Result<Vec<IdentityDocumentBody<'_>>, ProviderError> {
    if !required {
        return Ok(Vec::new());
    }
    let document = passenger
        .details
        .identity_document
        .as_ref()
        .ok_or_else(|| {
            ProviderError::invalid_request(
                "the offer requires an identity document for every passenger",
            )
        })?;
    Ok(vec![IdentityDocumentBody {
        kind: document.kind.as_str(),
        unique_identifier: document.unique_identifier.expose(),
        issuing_country_code: document.issuing_country_code.expose(),
        expires_on: document.expires_on,
    }])
}

fn check_metadata(order: &NewOrder<'_>) -> Result<(), ProviderError> {
    let fits = order.metadata.len() <= METADATA_MAX_ENTRIES
        && order.metadata.iter().all(|(key, value)| {
            !key.is_empty()
                && key.chars().count() <= METADATA_MAX_KEY_CHARS
                && value.chars().count() <= METADATA_MAX_VALUE_CHARS
        });
    if fits {
        Ok(())
    } else {
        Err(ProviderError::invalid_request(
            "order metadata allows 50 entries, keys of 1 to 40 and values up to 500 characters",
        ))
    }
}

/// `POST /air/order_cancellations` body.
pub fn cancellation_body(order_id: &str) -> Envelope<CancellationBody<'_>> {
    Envelope {
        data: CancellationBody { order_id },
    }
}
