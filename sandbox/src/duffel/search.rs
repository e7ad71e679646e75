//! Searches: `POST /air/offer_requests`, `GET /air/offer_requests/{id}`,
//! `GET /air/offers` and `GET /air/offers/{id}`.
//!
//! Flights come from [`super::schedule`] (deterministic per route and
//! date). Each search prices them afresh: with the price motion on, at the
//! level each offer's price path has reached on the sandbox clock (the same
//! for every search within one step); otherwise with a random drift of up to
//! 3%. Either way prices move between searches. Round trips pair outbound
//! and return flights of the same airline. Some airlines want identity
//! documents on international journeys ([`super::documents`]); an injected
//! supplier fault can answer offers for another route ([`super::misroute`]).

use std::sync::Arc;
use std::time::Duration;

use autobook_contracts::trip::CabinClass;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

use super::errors::DuffelError;
use super::listing::{page, query_pairs};
use super::model::{BookedSlice, Offer, OfferFate, OfferPassenger, OfferRequest};
use super::pricing;
use super::render::{offer_json, offer_request_json};
use super::request::parse_data;
use super::schedule::{Itinerary, TestRoute, itineraries};
use super::search_request::{SearchRequest, parse_search};
use super::state::DuffelState;
use super::{DuffelService, DuffelSettings};
use super::{documents, misroute, payment_terms};
use crate::ids;
use crate::price_motion::PriceMotion;

const MAX_OFFERS: usize = 100;
const DEFAULT_SUPPLIER_TIMEOUT_MS: u64 = 20_000;

pub(crate) async fn create_offer_request(
    State(service): State<Arc<DuffelService>>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, DuffelError> {
    let query = query_pairs(raw.as_deref())?;
    let return_offers = match query.get("return_offers").map(String::as_str) {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(DuffelError::invalid(
                "return_offers",
                "Field 'return_offers' must be true or false",
            ));
        }
    };
    let supplier_timeout = match query.get("supplier_timeout") {
        None => DEFAULT_SUPPLIER_TIMEOUT_MS,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|ms| (2_000..=60_000).contains(ms))
            .ok_or_else(|| {
                DuffelError::invalid(
                    "supplier_timeout",
                    "Field 'supplier_timeout' must be between 2000 and 60000 (ms)",
                )
            })?,
    };
    let data = parse_data(&body)?;
    let search = parse_search(&data)?;
    let routes: Vec<TestRoute> = search
        .slices
        .iter()
        .map(|s| TestRoute::of(&s.origin, &s.destination))
        .collect();
    let times_out = routes.contains(&TestRoute::SupplierTimeout);
    let flights: Vec<Vec<Itinerary>> = if times_out || routes.contains(&TestRoute::NoOffers) {
        Vec::new()
    } else {
        search
            .slices
            .iter()
            .map(|s| {
                itineraries(
                    service.ctx.seed,
                    &s.origin,
                    &s.destination,
                    s.departure_date,
                    search.max_connections,
                )
            })
            .collect()
    };
    let now = service.ctx.clock.now();
    let pricing = Pricing {
        motion: service.ctx.price_motion(),
        multiplier: service
            .ctx
            .script(|queues| queues.next_price())
            .unwrap_or(1.0),
        now,
    };
    let routing = Routing {
        scripted: service.ctx.script(|queues| queues.next_search()),
        wrong_route_rate: service.ctx.faults().wrong_route_rate,
    };
    let body = {
        let mut state = service.state();
        let request = record_search(
            &mut state,
            service.settings,
            &search,
            &flights,
            (pricing, routing),
        );
        let offers = return_offers.then(|| {
            offers_of(&state, &request)
                .into_iter()
                .map(offer_json)
                .collect()
        });
        json!({ "data": offer_request_json(&request, offers) })
    };
    if times_out {
        service
            .ctx
            .pause(Duration::from_millis(supplier_timeout))
            .await;
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// How one search prices its offers.
#[derive(Debug, Clone, Copy)]
struct Pricing {
    motion: PriceMotion,
    /// The scripted multiplier of this search (1.0 when none is queued).
    multiplier: f64,
    /// The sandbox clock at the search.
    now: DateTime<Utc>,
}

impl Pricing {
    /// What the fare of `combination` is multiplied by: the price path's
    /// level now, or (motion off) a fresh draw within 3%, times the
    /// scripted multiplier.
    fn drift(&self, rng: &mut StdRng, combination: &[&Itinerary], cabin: CabinClass) -> f64 {
        let drift = if self.motion.is_enabled() {
            self.motion
                .factor(pricing::motion_key(combination, cabin), self.now)
        } else {
            1.0 + rng.random_range(-0.03..=0.03)
        };
        drift * self.multiplier
    }
}

/// Whether the suppliers answer one search for the route searched.
#[derive(Debug, Clone, Copy)]
struct Routing {
    scripted: Option<crate::script::SearchFault>,
    wrong_route_rate: f64,
}

/// Stores the offer request and its priced offers (cheapest first).
fn record_search(
    state: &mut DuffelState,
    settings: DuffelSettings,
    search: &SearchRequest,
    flights: &[Vec<Itinerary>],
    (pricing, routing): (Pricing, Routing),
) -> OfferRequest {
    let now = pricing.now;
    let id = state.new_id("orq");
    let client_key = ids::secret(&mut state.rng, 48);
    let passengers: Vec<OfferPassenger> = search
        .passengers
        .iter()
        .map(|(kind, age)| OfferPassenger {
            id: state.new_id("pas"),
            kind: *kind,
            age: *age,
        })
        .collect();
    let mut offers: Vec<Offer> = combinations(flights)
        .into_iter()
        .filter_map(|combination| {
            price_offer(state, settings, search, &passengers, &combination, pricing)
        })
        .collect();
    offers.sort_by(|a, b| {
        a.fare
            .total
            .cmp(&b.fare.total)
            .then_with(|| a.id.cmp(&b.id))
    });
    misroute::apply(
        &mut offers,
        routing.scripted,
        routing.wrong_route_rate,
        &mut state.rng,
    );
    let offer_ids = offers.iter().map(|offer| offer.id.clone()).collect();
    for offer in offers {
        state.offers.insert(offer.id.clone(), offer);
    }
    let request = OfferRequest {
        id,
        client_key,
        created_at: now,
        slices: search.slices.clone(),
        passengers,
        cabin: search.cabin,
        offer_ids,
    };
    state
        .offer_requests
        .insert(request.id.clone(), request.clone());
    state.log_search(&request, settings.currency);
    request
}

/// Every choice of one itinerary per slice with the same airline.
fn combinations(flights: &[Vec<Itinerary>]) -> Vec<Vec<&Itinerary>> {
    let Some(first) = flights.first() else {
        return Vec::new();
    };
    let mut airlines: Vec<&str> = first.iter().map(|it| it.airline.iata).collect();
    airlines.dedup();
    let mut found = Vec::new();
    for airline in airlines {
        let mut partial: Vec<Vec<&Itinerary>> = vec![Vec::new()];
        for options in flights {
            let options: Vec<&Itinerary> = options
                .iter()
                .filter(|it| it.airline.iata == airline)
                .collect();
            partial = partial
                .into_iter()
                .flat_map(|prefix| {
                    options
                        .iter()
                        .map(move |it| [prefix.clone(), vec![*it]].concat())
                })
                .collect();
        }
        found.extend(partial);
    }
    found.truncate(MAX_OFFERS);
    found
}

fn price_offer(
    state: &mut DuffelState,
    settings: DuffelSettings,
    search: &SearchRequest,
    passengers: &[OfferPassenger],
    combination: &[&Itinerary],
    pricing: Pricing,
) -> Option<Offer> {
    let now = pricing.now;
    let owner = combination.first()?.airline;
    let drift = pricing.drift(&mut state.rng, combination, search.cabin);
    let kinds: Vec<_> = passengers.iter().map(|p| p.kind).collect();
    let fare = pricing::quote(combination, search.cabin, &kinds, settings.currency, drift);
    let (refund, change) = pricing::conditions(owner.iata, search.cabin, settings.currency);
    let id = state.new_id("off");
    let slices = combination
        .iter()
        .map(|itinerary| BookedSlice {
            id: state.new_id("sli"),
            segment_ids: itinerary
                .segments
                .iter()
                .map(|_| state.new_id("seg"))
                .collect(),
            itinerary: (*itinerary).clone(),
        })
        .collect();
    let expires_at = now + settings.offer_ttl;
    Some(Offer {
        id,
        created_at: now,
        updated_at: now,
        expires_at,
        payment_required_by: payment_terms::payment_required_by(owner.iata, now, expires_at),
        owner,
        cabin: search.cabin,
        passengers: passengers.to_vec(),
        slices,
        fare,
        currency: settings.currency,
        refund,
        change,
        fate: OfferFate::Undecided,
        documents_required: documents::required(owner.iata, combination),
        misrouted: false,
    })
}

fn offers_of<'a>(state: &'a DuffelState, request: &OfferRequest) -> Vec<&'a Offer> {
    request
        .offer_ids
        .iter()
        .filter_map(|id| state.offers.get(id))
        .collect()
}

pub(crate) async fn get_offer_request(
    State(service): State<Arc<DuffelService>>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, DuffelError> {
    let state = service.state();
    let request = state
        .offer_requests
        .get(&id)
        .ok_or_else(DuffelError::not_found)?;
    let offers = offers_of(&state, request)
        .into_iter()
        .map(offer_json)
        .collect();
    Ok(Json(
        json!({ "data": offer_request_json(request, Some(offers)) }),
    ))
}

pub(crate) async fn list_offers(
    State(service): State<Arc<DuffelService>>,
    RawQuery(raw): RawQuery,
) -> Result<Json<serde_json::Value>, DuffelError> {
    let query = query_pairs(raw.as_deref())?;
    let request_id = query
        .get("offer_request_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| DuffelError::required("offer_request_id"))?;
    let max_connections = match query.get("max_connections") {
        None => None,
        Some(text) => Some(text.parse::<usize>().map_err(|_| {
            DuffelError::invalid(
                "max_connections",
                "Field 'max_connections' must be 0, 1 or 2",
            )
        })?),
    };
    let state = service.state();
    let request = state
        .offer_requests
        .get(request_id)
        .ok_or_else(DuffelError::not_found)?;
    let mut offers: Vec<&Offer> = offers_of(&state, request)
        .into_iter()
        .filter(|offer| {
            max_connections.is_none_or(|max| {
                offer
                    .slices
                    .iter()
                    .all(|s| s.itinerary.connections() <= max)
            })
        })
        .collect();
    let duration = |offer: &Offer| -> i64 {
        offer
            .slices
            .iter()
            .map(|s| s.itinerary.duration_minutes())
            .sum()
    };
    match query.get("sort").map(String::as_str) {
        None | Some("total_amount") => offers.sort_by_key(|o| o.fare.total),
        Some("-total_amount") => offers.sort_by_key(|o| std::cmp::Reverse(o.fare.total)),
        Some("total_duration") => offers.sort_by_key(|o| duration(o)),
        Some("-total_duration") => offers.sort_by_key(|o| std::cmp::Reverse(duration(o))),
        Some(_) => {
            return Err(DuffelError::invalid(
                "sort",
                "Field 'sort' must be total_amount or total_duration",
            ));
        }
    }
    page(
        &offers,
        &query,
        |offer| &offer.id,
        |offer| offer_json(offer),
    )
    .map(Json)
}

pub(crate) async fn get_offer(
    State(service): State<Arc<DuffelService>>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, DuffelError> {
    let state = service.state();
    let offer = state.offers.get(&id).ok_or_else(DuffelError::not_found)?;
    Ok(Json(json!({ "data": offer_json(offer) })))
}
