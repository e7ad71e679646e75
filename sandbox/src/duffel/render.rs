//! The JSON shapes of Duffel resources, as in the real fixtures (a superset
//! of their keys): places, segments, slices, offers, orders and
//! cancellations. Amounts are decimal strings; segment times local, no offset.

use autobook_contracts::trip::CabinClass;
use autobook_contracts::{Currency, Money};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::geo::iso_duration;
use super::model::{
    BookedSlice, Cancellation, Condition, Offer, OfferRequest, Order, PassengerKind,
};
use super::places::{airport_json, carrier_json, place_json, place_type};
use super::schedule::Segment;
use crate::ids::stable_hash;

pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn local(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S").to_string()
}

pub(crate) fn amount(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).to_decimal()
}

fn condition_json(condition: Condition, currency: Currency) -> Value {
    match condition {
        Condition::Unknown => Value::Null,
        Condition::NotAllowed => {
            json!({ "allowed": false, "penalty_amount": null, "penalty_currency": null })
        }
        Condition::Allowed { penalty } => json!({
            "allowed": true,
            "penalty_amount": amount(penalty, currency),
            "penalty_currency": currency.as_str(),
        }),
    }
}

fn conditions_json(refund: Condition, change: Condition, currency: Currency) -> Value {
    json!({
        "refund_before_departure": condition_json(refund, currency),
        "change_before_departure": condition_json(change, currency),
    })
}

fn cabin_name(cabin: CabinClass) -> &'static str {
    match cabin {
        CabinClass::Economy => "Economy",
        CabinClass::PremiumEconomy => "Premium Economy",
        CabinClass::Business => "Business",
        CabinClass::First => "First",
    }
}

/// The passengers of an offer or order as (id, type).
type PassengerRefs<'a> = [(&'a str, PassengerKind)];

fn segment_passengers(
    segment: &Segment,
    passengers: &PassengerRefs<'_>,
    cabin: CabinClass,
) -> Value {
    let checked = match cabin {
        CabinClass::Economy => stable_hash(&[segment.carrier.iata, "bags"]) % 2,
        _ => 2,
    };
    let letter = match cabin {
        CabinClass::Economy => 'Y',
        CabinClass::PremiumEconomy => 'W',
        CabinClass::Business => 'J',
        CabinClass::First => 'F',
    };
    passengers
        .iter()
        .map(|(id, kind)| {
            let baggages = if kind.takes_seat() {
                json!([{ "type": "checked", "quantity": checked }, { "type": "carry_on", "quantity": 1 }])
            } else {
                json!([])
            };
            json!({
                "passenger_id": id,
                "cabin_class": cabin.as_str(),
                "cabin_class_marketing_name": cabin_name(cabin),
                "fare_basis_code": format!("{letter}OW{}{}", segment.carrier.iata, segment.origin.country),
                "baggages": baggages,
            })
        })
        .collect()
}

fn segment_json(
    segment: &Segment,
    id: &str,
    passengers: &PassengerRefs<'_>,
    cabin: CabinClass,
    for_order: bool,
) -> Value {
    let mut value = json!({
        "id": id,
        "origin": airport_json(segment.origin),
        "destination": airport_json(segment.destination),
        "origin_terminal": segment.origin_terminal,
        "destination_terminal": segment.destination_terminal,
        "departing_at": local(segment.departing_at),
        "arriving_at": local(segment.arriving_at),
        "duration": iso_duration(segment.duration_minutes()),
        "distance": format!("{:.1}", segment.distance_km),
        "marketing_carrier": carrier_json(segment.carrier),
        "marketing_carrier_flight_number": segment.flight_number,
        "operating_carrier": carrier_json(segment.carrier),
        "operating_carrier_flight_number": segment.flight_number,
        "aircraft": {
            "id": format!("arc_00009UhD4ongolulW{}", segment.aircraft.iata_code),
            "iata_code": segment.aircraft.iata_code,
            "name": segment.aircraft.name,
        },
        "stops": [],
        "passengers": segment_passengers(segment, passengers, cabin),
    });
    if for_order && let Some(object) = value.as_object_mut() {
        object.insert(
            "departure_datetime".into(),
            json!(local(segment.departing_at)),
        );
        object.insert("arrival_datetime".into(), json!(local(segment.arriving_at)));
        object.insert("departure_terminal".into(), json!(segment.origin_terminal));
        object.insert(
            "arrival_terminal".into(),
            json!(segment.destination_terminal),
        );
    }
    value
}

fn fare_brand(refund: Condition) -> &'static str {
    match refund {
        Condition::NotAllowed => "Basic",
        Condition::Allowed { penalty: 0 } => "Flex",
        Condition::Allowed { .. } | Condition::Unknown => "Standard",
    }
}

struct SliceContext<'a> {
    passengers: &'a PassengerRefs<'a>,
    cabin: CabinClass,
    refund: Condition,
    change: Condition,
    currency: Currency,
    for_order: bool,
}

fn slice_json(slice: &BookedSlice, context: &SliceContext<'_>) -> Value {
    let segments = &slice.itinerary.segments;
    let origin = segments
        .first()
        .map_or(Value::Null, |s| airport_json(s.origin));
    let destination = segments
        .last()
        .map_or(Value::Null, |s| airport_json(s.destination));
    let segments: Vec<Value> = segments
        .iter()
        .zip(&slice.segment_ids)
        .map(|(segment, id)| {
            segment_json(
                segment,
                id,
                context.passengers,
                context.cabin,
                context.for_order,
            )
        })
        .collect();
    let mut value = json!({
        "id": slice.id,
        "origin": origin,
        "destination": destination,
        "origin_type": "airport",
        "destination_type": "airport",
        "duration": iso_duration(slice.itinerary.duration_minutes()),
        "fare_brand_name": fare_brand(context.refund),
        "conditions": { "change_before_departure": condition_json(context.change, context.currency) },
        "segments": segments,
    });
    if context.for_order
        && let Some(object) = value.as_object_mut()
    {
        object.insert("changeable".into(), json!(false));
    }
    value
}

pub(crate) fn offer_json(offer: &Offer) -> Value {
    let refs: Vec<(&str, PassengerKind)> = offer
        .passengers
        .iter()
        .map(|p| (p.id.as_str(), p.kind))
        .collect();
    let context = SliceContext {
        passengers: &refs,
        cabin: offer.cabin,
        refund: offer.refund,
        change: offer.change,
        currency: offer.currency,
        for_order: false,
    };
    let currency = offer.currency.as_str();
    let distance: f64 = offer.slices.iter().map(|s| s.itinerary.distance_km()).sum();
    let emissions = (distance * 0.09 * f64::from(offer.seats_needed())).round() as i64;
    json!({
        "id": offer.id,
        "live_mode": false,
        "created_at": timestamp(offer.created_at),
        "updated_at": timestamp(offer.updated_at),
        "expires_at": timestamp(offer.expires_at),
        "total_amount": amount(offer.fare.total, offer.currency),
        "total_currency": currency,
        "base_amount": amount(offer.fare.base, offer.currency),
        "base_currency": currency,
        "tax_amount": amount(offer.fare.tax, offer.currency),
        "tax_currency": currency,
        "total_emissions_kg": emissions.to_string(),
        "owner": carrier_json(offer.owner),
        "passengers": offer.passengers.iter().map(|p| json!({
            "id": p.id, "type": p.kind.as_str(), "age": p.age,
            "given_name": null, "family_name": null, "loyalty_programme_accounts": [],
        })).collect::<Vec<_>>(),
        "slices": offer.slices.iter().map(|s| slice_json(s, &context)).collect::<Vec<_>>(),
        "conditions": conditions_json(offer.refund, offer.change, offer.currency),
        "payment_requirements": {
            "requires_instant_payment": offer.payment_required_by.is_none(),
            "price_guarantee_expires_at": offer.payment_required_by.map(timestamp),
            "payment_required_by": offer.payment_required_by.map(timestamp),
        },
        "partial": false,
        "passenger_identity_documents_required": offer.documents_required,
        "allowed_passenger_identity_document_types": ["passport"],
        "supported_passenger_identity_document_types": ["passport"],
        "available_services": [],
        "available_payment_types": ["balance"],
        "private_fares": [],
    })
}

pub(crate) fn offer_request_json(request: &OfferRequest, offers: Option<Vec<Value>>) -> Value {
    let mut value = json!({
        "id": request.id,
        "live_mode": false,
        "created_at": timestamp(request.created_at),
        "client_key": request.client_key,
        "cabin_class": request.cabin.as_str(),
        "slices": request.slices.iter().map(|s| json!({
            "origin": place_json(&s.origin),
            "destination": place_json(&s.destination),
            "origin_type": place_type(&s.origin),
            "destination_type": place_type(&s.destination),
            "departure_date": s.departure_date.to_string(),
        })).collect::<Vec<_>>(),
        "passengers": request.passengers.iter().map(|p| json!({
            "id": p.id, "type": p.kind.as_str(), "age": p.age,
            "given_name": null, "family_name": null, "loyalty_programme_accounts": [],
        })).collect::<Vec<_>>(),
    });
    if let (Some(offers), Some(object)) = (offers, value.as_object_mut()) {
        object.insert("offers".into(), Value::Array(offers));
    }
    value
}

pub(crate) fn order_json(order: &Order) -> Value {
    let refs: Vec<(&str, PassengerKind)> = order
        .passengers
        .iter()
        .map(|p| (p.id.as_str(), p.kind))
        .collect();
    let context = SliceContext {
        passengers: &refs,
        cabin: order.cabin,
        refund: order.refund,
        change: order.change,
        currency: order.currency,
        for_order: true,
    };
    let currency = order.currency.as_str();
    let actions: Vec<&str> = if order.cancelled_at.is_some() {
        vec![]
    } else {
        vec!["cancel", "change"]
    };
    json!({
        "id": order.id,
        "type": "instant",
        "live_mode": false,
        "created_at": timestamp(order.created_at),
        "synced_at": timestamp(order.created_at),
        "booking_reference": order.booking_reference,
        "content": "managed",
        "total_amount": amount(order.fare.total, order.currency),
        "total_currency": currency,
        "base_amount": amount(order.fare.base, order.currency),
        "base_currency": currency,
        "tax_amount": amount(order.fare.tax, order.currency),
        "tax_currency": currency,
        "owner": carrier_json(order.owner),
        "metadata": order.metadata,
        "documents": order.documents.iter().map(|d| json!({
            "unique_identifier": d.unique_identifier,
            "type": "electronic_ticket",
            "passenger_ids": d.passenger_ids,
        })).collect::<Vec<_>>(),
        "passengers": order.passengers.iter().map(|p| json!({
            "id": p.id, "type": p.kind.as_str(), "age": p.age,
            "title": p.title, "gender": p.gender,
            "given_name": p.given_name, "family_name": p.family_name,
            "born_on": p.born_on.to_string(), "email": p.email, "phone_number": p.phone_number,
            "infant_passenger_id": p.infant_passenger_id, "loyalty_programme_accounts": [],
        })).collect::<Vec<_>>(),
        "slices": order.slices.iter().map(|s| slice_json(s, &context)).collect::<Vec<_>>(),
        "conditions": conditions_json(order.refund, order.change, order.currency),
        "payment_status": {
            "awaiting_payment": false,
            "paid_at": timestamp(order.created_at),
            "payment_required_by": null,
            "price_guarantee_expires_at": null,
        },
        "cancelled_at": order.cancelled_at.map(timestamp),
        "available_actions": actions,
        "services": [],
        "users": [],
    })
}

pub(crate) fn cancellation_json(cancellation: &Cancellation) -> Value {
    json!({
        "id": cancellation.id,
        "order_id": cancellation.order_id,
        "refund_amount": amount(cancellation.refund_amount, cancellation.currency),
        "refund_currency": cancellation.currency.as_str(),
        "refund_to": "balance",
        "expires_at": timestamp(cancellation.expires_at),
        "confirmed_at": cancellation.confirmed_at.map(timestamp),
        "created_at": timestamp(cancellation.created_at),
        "live_mode": false,
    })
}
