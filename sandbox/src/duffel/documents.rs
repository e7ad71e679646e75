//! Identity documents: which offers require them, reading them from an
//! order's passengers, and the rule an order must meet.
//!
//! About a third of the airlines (fixed per airline by a stable hash: Air
//! France, British Airways, Cathay Pacific, Iberia, KLM, Qantas, Qatar
//! Airways, Turkish Airlines and Southwest) want every passenger's
//! passport with the order on international journeys (a slice between
//! two countries): their offers say `passenger_identity_documents_required:
//! true`. An order for such an offer is refused (422 `validation_required`)
//! unless every passenger has a passport valid past the last flight's
//! departure day. Documents given for other offers are accepted and
//! ignored.

use std::fmt;

use autobook_contracts::catalogue;
use chrono::NaiveDate;
use serde_json::Value;

use super::errors::DuffelError;
use super::model::Offer;
use super::request::{Fields, element};
use super::schedule::Itinerary;
use crate::ids::stable_hash;

/// A passport as an order gives it; Debug never prints it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct DocumentInput {
    pub(crate) unique_identifier: String,
    pub(crate) issuing_country_code: String,
    pub(crate) expires_on: NaiveDate,
}

impl fmt::Debug for DocumentInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DocumentInput(<redacted>)")
    }
}

/// Whether `airline` wants documents on journeys between these countries.
fn airline_wants_documents(airline: &str) -> bool {
    stable_hash(&[airline, "documents"]).is_multiple_of(2)
}

/// Whether an offer of `airline` flying `slices` requires documents.
pub(crate) fn required(airline: &str, slices: &[&Itinerary]) -> bool {
    let international = slices.iter().any(|itinerary| {
        match (itinerary.segments.first(), itinerary.segments.last()) {
            (Some(first), Some(last)) => first.origin.country != last.destination.country,
            _ => false,
        }
    });
    international && airline_wants_documents(airline)
}

/// Whether `airline`'s offers from `origin` to `destination` (airport or
/// city codes of the catalogue) require identity documents.
pub fn required_between(airline: &str, origin: &str, destination: &str) -> bool {
    let from = catalogue::countries_of_place(origin);
    let to = catalogue::countries_of_place(destination);
    !from.is_empty() && !to.is_empty() && from != to && airline_wants_documents(airline)
}

/// The `identity_documents` of an order passenger (`fields`).
pub(crate) fn parse(fields: &Fields<'_>) -> Result<Vec<DocumentInput>, DuffelError> {
    fields
        .optional_array("identity_documents")?
        .iter()
        .enumerate()
        .map(|(index, value)| {
            parse_one(
                value,
                &format!("{}[{index}]", fields.path_of("identity_documents")),
            )
        })
        .collect()
}

fn parse_one(value: &Value, path: &str) -> Result<DocumentInput, DuffelError> {
    let fields = element(value, path)?;
    if fields.string("type")? != "passport" {
        return Err(DuffelError::invalid(
            &fields.path_of("type"),
            format!(
                "Field '{}' must be one of the offer's allowed_passenger_identity_document_types: passport",
                fields.path_of("type")
            ),
        ));
    }
    let unique_identifier = fields.string("unique_identifier")?.to_owned();
    let country = fields.string("issuing_country_code")?;
    if !catalogue::is_country_code(country) {
        return Err(DuffelError::invalid(
            &fields.path_of("issuing_country_code"),
            format!(
                "Field '{}' must be an ISO 3166-1 alpha-2 country code",
                fields.path_of("issuing_country_code")
            ),
        ));
    }
    let expires_on =
        NaiveDate::parse_from_str(fields.string("expires_on")?, "%Y-%m-%d").map_err(|_| {
            DuffelError::invalid(
                &fields.path_of("expires_on"),
                format!(
                    "Field '{}' must be a date (YYYY-MM-DD)",
                    fields.path_of("expires_on")
                ),
            )
        })?;
    Ok(DocumentInput {
        unique_identifier,
        issuing_country_code: country.to_owned(),
        expires_on,
    })
}

/// The order rule: when the offer requires documents, every passenger (the
/// documents of each, in the order's order) has a passport that expires
/// after the last flight's departure day.
pub(crate) fn check<'a>(
    offer: &Offer,
    passengers: impl IntoIterator<Item = &'a [DocumentInput]>,
) -> Result<(), DuffelError> {
    if !offer.documents_required {
        return Ok(());
    }
    let last_departure = offer
        .slices
        .iter()
        .flat_map(|slice| slice.itinerary.segments.iter())
        .map(|segment| segment.departing_at.date())
        .max();
    for (index, documents) in passengers.into_iter().enumerate() {
        let field = format!("passengers[{index}].identity_documents");
        let Some(document) = documents.first() else {
            return Err(DuffelError::required_because(
                &field,
                format!(
                    "Field '{field}' is required: the airline of this offer requires an identity document for every passenger"
                ),
            ));
        };
        if last_departure.is_some_and(|day| document.expires_on <= day) {
            return Err(DuffelError::required_because(
                &format!("{field}[0].expires_on"),
                format!(
                    "Field '{field}[0].expires_on' must be after the last flight's departure date: the document must be valid for the whole journey"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use autobook_contracts::catalogue::AIRLINES;

    use super::*;

    #[test]
    fn some_airlines_want_documents_and_only_across_borders() {
        let wanting = AIRLINES
            .iter()
            .filter(|a| airline_wants_documents(a.iata))
            .count();
        assert!(wanting > 0 && wanting < AIRLINES.len(), "{wanting}");
        let airline = AIRLINES
            .iter()
            .find(|a| airline_wants_documents(a.iata))
            .unwrap()
            .iata;
        assert!(required_between(airline, "JFK", "LHR"));
        assert!(required_between(airline, "NYC", "LON"));
        assert!(!required_between(airline, "JFK", "LAX"), "domestic");
        assert!(!required_between(airline, "JFK", "QQQ"), "unknown place");
        let other = AIRLINES
            .iter()
            .find(|a| !airline_wants_documents(a.iata))
            .unwrap()
            .iata;
        assert!(!required_between(other, "JFK", "LHR"));
    }
}
