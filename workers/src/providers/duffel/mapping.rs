//! Duffel wire types -> our types: offers to [`OfferSummary`], orders to
//! [`DuffelOrder`], cancellations to [`Cancellation`]. Pure functions.
//!
//! Errors name the field that was missing or malformed, never its value.

use std::collections::BTreeMap;

use autobook_contracts::codes::{AirlineCode, PlaceCode};
use autobook_contracts::offer::{OfferSlice, OfferSummary};
use autobook_contracts::trip::CabinClass;
use autobook_contracts::{Currency, Money};
use chrono::{DateTime, NaiveDateTime, Utc};

use super::model::{Cancellation, DuffelOrder, SearchResult};
use super::wire::{Carrier, Offer, OfferRequest, Order, OrderCancellation, Segment, Slice};

/// A response part that could not be turned into our types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub String);

fn invalid(what: &str) -> MappingError {
    MappingError(format!("missing or malformed {what}"))
}

/// Maps every offer of an offer request; an offer that cannot be mapped,
/// or that does not have `expected_slices` slices, is skipped and counted.
pub fn map_offer_request(request: &OfferRequest, expected_slices: usize) -> SearchResult {
    let passenger_ids: Vec<String> = request.passengers.iter().map(|p| p.id.clone()).collect();
    let mut offers = Vec::with_capacity(request.offers.len());
    let mut skipped = 0;
    for raw in &request.offers {
        let mapped = serde_json::from_value::<Offer>(raw.clone())
            .map_err(|_| invalid("offer"))
            .and_then(|offer| map_offer(&offer, &passenger_ids))
            .and_then(|offer| {
                if offer.slices.len() == expected_slices {
                    Ok(offer)
                } else {
                    Err(MappingError(
                        "offer has another number of slices than requested".into(),
                    ))
                }
            });
        match mapped {
            Ok(offer) => offers.push(offer),
            Err(reason) => {
                skipped += 1;
                tracing::debug!(offer_request_id = %request.id, %reason, "skipped a Duffel offer");
            }
        }
    }
    SearchResult {
        offer_request_id: request.id.clone(),
        offers,
        skipped,
    }
}

/// The offer's own passenger ids, in its order (for `GET /air/offers/{id}`).
pub fn offer_passenger_ids(offer: &Offer) -> Vec<String> {
    offer.passengers.iter().map(|p| p.id.clone()).collect()
}

/// Maps one offer; `passenger_ids` are the request's passengers in order.
pub fn map_offer(offer: &Offer, passenger_ids: &[String]) -> Result<OfferSummary, MappingError> {
    let currency = Currency::parse(&offer.total_currency).map_err(|_| invalid("total_currency"))?;
    let total =
        Money::from_decimal(&offer.total_amount, currency).map_err(|_| invalid("total_amount"))?;
    let expires_at = DateTime::parse_from_rfc3339(&offer.expires_at)
        .map_err(|_| invalid("expires_at"))?
        .with_timezone(&Utc);
    let payment_required_by = offer
        .payment_requirements
        .as_ref()
        .and_then(|p| p.payment_required_by.as_deref())
        .map(|at| {
            DateTime::parse_from_rfc3339(at)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| invalid("payment_requirements.payment_required_by"))
        })
        .transpose()?;
    let owner = airline_code(&offer.owner).ok_or_else(|| invalid("owner.iata_code"))?;
    let owner_name = offer
        .owner
        .name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| invalid("owner.name"))?;
    if passenger_ids.is_empty() {
        return Err(invalid("passengers"));
    }
    let listed = |id: &String| offer.passengers.iter().any(|p| &p.id == id);
    if !offer.passengers.is_empty() && !passenger_ids.iter().all(listed) {
        return Err(MappingError(
            "offer passengers differ from the request's".into(),
        ));
    }
    if offer.slices.is_empty() {
        return Err(invalid("slices"));
    }
    let slices = offer
        .slices
        .iter()
        .map(map_slice)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OfferSummary {
        offer_id: offer.id.clone(),
        total,
        expires_at,
        payment_required_by,
        owner,
        owner_name,
        cabin_class: cabin_class(offer)?,
        passenger_ids: passenger_ids.to_vec(),
        slices,
        identity_documents_required: offer.passenger_identity_documents_required.unwrap_or(false),
    })
}

fn airline_code(carrier: &Carrier) -> Option<AirlineCode> {
    AirlineCode::parse(carrier.iata_code.as_deref()?).ok()
}

fn place_code(code: Option<&str>, what: &str) -> Result<PlaceCode, MappingError> {
    code.and_then(|code| PlaceCode::parse(code).ok())
        .ok_or_else(|| invalid(what))
}

/// The cabin of the first segment's first passenger.
fn cabin_class(offer: &Offer) -> Result<CabinClass, MappingError> {
    let cabin = offer
        .slices
        .first()
        .and_then(|slice| slice.segments.first())
        .and_then(|segment| segment.passengers.first())
        .and_then(|passenger| passenger.cabin_class.as_deref());
    match cabin {
        Some("first") => Ok(CabinClass::First),
        Some("business") => Ok(CabinClass::Business),
        Some("premium_economy") => Ok(CabinClass::PremiumEconomy),
        Some("economy") => Ok(CabinClass::Economy),
        _ => Err(invalid("segment passenger cabin_class")),
    }
}

fn map_slice(slice: &Slice) -> Result<OfferSlice, MappingError> {
    let (Some(first), Some(last)) = (slice.segments.first(), slice.segments.last()) else {
        return Err(invalid("slice segments"));
    };
    let departing_at =
        parse_local_time(&first.departing_at).ok_or_else(|| invalid("segment departing_at"))?;
    let arriving_at =
        parse_local_time(&last.arriving_at).ok_or_else(|| invalid("segment arriving_at"))?;
    let duration_minutes = slice
        .duration
        .as_deref()
        .and_then(parse_iso_duration_minutes)
        .or_else(|| duration_from_segments(&slice.segments))
        .ok_or_else(|| invalid("slice duration"))?;
    let stops = u8::try_from(slice.segments.len() - 1).map_err(|_| invalid("slice segments"))?;
    let flights = slice
        .segments
        .iter()
        .map(flight_designator)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OfferSlice {
        origin: place_code(slice.origin.iata_code.as_deref(), "slice origin")?,
        destination: place_code(slice.destination.iata_code.as_deref(), "slice destination")?,
        departing_at,
        arriving_at,
        duration_minutes,
        stops,
        flights,
    })
}

/// "BA" + "117" -> "BA117".
fn flight_designator(segment: &Segment) -> Result<String, MappingError> {
    let carrier =
        airline_code(&segment.marketing_carrier).ok_or_else(|| invalid("marketing_carrier"))?;
    let number = segment
        .marketing_carrier_flight_number
        .as_deref()
        .filter(|n| (1..=5).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| invalid("marketing_carrier_flight_number"))?;
    Ok(format!("{carrier}{number}"))
}

/// Flying time of every segment plus the connections between them. Each
/// connection is measured in the local time of the connecting airport, so
/// no time zone is needed.
pub fn duration_from_segments(segments: &[Segment]) -> Option<u32> {
    let mut minutes: u32 = 0;
    for segment in segments {
        minutes = minutes.checked_add(parse_iso_duration_minutes(segment.duration.as_deref()?)?)?;
    }
    for pair in segments.windows(2) {
        let landed = parse_local_time(&pair[0].arriving_at)?;
        let leaves = parse_local_time(&pair[1].departing_at)?;
        let connection = u32::try_from((leaves - landed).num_minutes()).ok()?;
        minutes = minutes.checked_add(connection)?;
    }
    Some(minutes)
}

/// Parses a local date-time without offset ("2020-06-13T16:38:02", with
/// or without seconds and fractions). A time with an offset keeps its local
/// part.
pub fn parse_local_time(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
            return Some(time);
        }
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.naive_local())
}

/// Whole minutes of an ISO 8601 duration: "PT5H4M", "PT02H26M", "P1DT2H",
/// "PT45M30S" (seconds are rounded down). Years and months are refused.
pub fn parse_iso_duration_minutes(text: &str) -> Option<u32> {
    let rest = text.trim().strip_prefix('P')?;
    let (date_part, time_part) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut seconds: u64 = 0;
    let mut parts = 0;
    for (value, unit) in duration_parts(date_part)? {
        let scale = match unit {
            'W' => 7 * 86_400,
            'D' => 86_400,
            _ => return None,
        };
        seconds = seconds.checked_add(value.checked_mul(scale)?)?;
        parts += 1;
    }
    for (value, unit) in duration_parts(time_part.unwrap_or(""))? {
        let scale = match unit {
            'H' => 3_600,
            'M' => 60,
            'S' => 1,
            _ => return None,
        };
        seconds = seconds.checked_add(value.checked_mul(scale)?)?;
        parts += 1;
    }
    if parts == 0 {
        return None;
    }
    u32::try_from(seconds / 60).ok()
}

/// "5H4M" -> [(5,'H'), (4,'M')]. A fraction is allowed on seconds only and
/// dropped.
fn duration_parts(text: &str) -> Option<Vec<(u64, char)>> {
    let mut parts = Vec::new();
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
        let fraction_ok =
            fraction.is_empty() || (c == 'S' && fraction.bytes().all(|b| b.is_ascii_digit()));
        if whole.is_empty() || !fraction_ok || (number.contains('.') && fraction.is_empty()) {
            return None;
        }
        parts.push((whole.parse().ok()?, c));
        number.clear();
    }
    number.is_empty().then_some(parts)
}

/// Maps an order. Metadata values that are not strings keep their JSON text.
pub fn map_order(order: &Order) -> Result<DuffelOrder, MappingError> {
    let currency = Currency::parse(&order.total_currency).map_err(|_| invalid("total_currency"))?;
    let total =
        Money::from_decimal(&order.total_amount, currency).map_err(|_| invalid("total_amount"))?;
    let booking_reference = order
        .booking_reference
        .clone()
        .filter(|pnr| !pnr.trim().is_empty())
        .ok_or_else(|| invalid("booking_reference"))?;
    let metadata: BTreeMap<String, String> = order
        .metadata
        .iter()
        .flatten()
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect();
    Ok(DuffelOrder {
        id: order.id.clone(),
        booking_reference,
        total,
        metadata,
        cancelled: order.cancelled_at.is_some(),
        created_at: order
            .created_at
            .as_deref()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc)),
    })
}

/// Whether a raw order of a list carries `metadata[key] == value`.
pub fn order_metadata_matches(order: &serde_json::Value, key: &str, value: &str) -> bool {
    order
        .get("metadata")
        .and_then(|metadata| metadata.get(key))
        .and_then(serde_json::Value::as_str)
        == Some(value)
}

/// Maps an order cancellation (created or confirmed).
pub fn map_cancellation(cancellation: &OrderCancellation) -> Result<Cancellation, MappingError> {
    let refund = match (&cancellation.refund_amount, &cancellation.refund_currency) {
        (Some(amount), Some(currency)) => {
            let currency = Currency::parse(currency).map_err(|_| invalid("refund_currency"))?;
            Some(Money::from_decimal(amount, currency).map_err(|_| invalid("refund_amount"))?)
        }
        (None, _) => None,
        (Some(_), None) => return Err(invalid("refund_currency")),
    };
    Ok(Cancellation {
        id: Some(cancellation.id.clone()),
        refund,
        already_cancelled: false,
    })
}
