//! The Duffel HTTP client: search, offers, orders and cancellations.

use std::time::Duration;

use autobook_contracts::commands::SearchOffers;
use autobook_contracts::offer::OfferSummary;
use chrono::Utc;
use reqwest::Method;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::errors::{ALREADY_CANCELLED, decode};
use super::mapping::{
    map_cancellation, map_offer, map_offer_request, map_order, offer_passenger_ids,
    order_metadata_matches,
};
use super::model::{Cancellation, DuffelOrder, NewOrder, SearchResult};
use super::request::{cancellation_body, order_body, search_body, supplier_timeout_millis};
use super::wire::{Offer, OfferRequest, Order, OrderCancellation, Page};
use crate::providers::config::ProviderConfig;
use crate::providers::error::{Provider, ProviderError};
use crate::providers::transport::{HttpTransport, RawResponse, json_error_detail, path_id};

/// What a scan of the orders for one of ours found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderLookup {
    Found(DuffelOrder),
    /// Every order was scanned: none is ours.
    Absent,
    /// The scan stopped at its page limit with orders left unread.
    Incomplete,
}

/// Orders per page when scanning for metadata (Duffel's maximum).
const ORDER_PAGE_LIMIT: &str = "200";

/// A client of the Duffel API (`Duffel-Version: v2`).
#[derive(Debug, Clone)]
pub struct DuffelClient {
    http: HttpTransport,
    timeout: Duration,
}

impl DuffelClient {
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let json = HeaderValue::from_static("application/json");
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("duffel-version"),
            HeaderValue::from_static("v2"),
        );
        headers.insert(ACCEPT, json.clone());
        headers.insert(CONTENT_TYPE, json);
        let http = HttpTransport::new(Provider::Duffel, &config, headers)?;
        Ok(DuffelClient {
            http,
            timeout: config.timeout,
        })
    }

    /// Creates an offer request and returns its offers. The HTTP timeout is
    /// the supplier timeout plus the configured request timeout.
    pub async fn search(
        &self,
        command: &SearchOffers,
        supplier_timeout: Duration,
    ) -> Result<SearchResult, ProviderError> {
        let body = search_body(command)?;
        let expected_slices = body.data.slices.len();
        let expected_passengers = command.passenger_ages.len();
        let millis = supplier_timeout_millis(supplier_timeout);
        let request = self
            .http
            .request(Method::POST, "/air/offer_requests")
            .query(&[
                ("return_offers", "true"),
                ("supplier_timeout", &millis.to_string()),
            ])
            .timeout(Duration::from_millis(millis) + self.timeout)
            .json(&body);
        self.http
            .execute("search", request, |raw| {
                let offer_request: OfferRequest = decode(raw, Utc::now())?;
                if offer_request.passengers.len() != expected_passengers {
                    return Err(ProviderError::invalid_response(
                        Provider::Duffel,
                        raw.status,
                        "offer request has another number of passengers than requested",
                    ));
                }
                Ok(map_offer_request(&offer_request, expected_slices))
            })
            .await
    }

    /// Reads one offer (current price and availability).
    pub async fn get_offer(&self, offer_id: &str) -> Result<OfferSummary, ProviderError> {
        let path = format!("/air/offers/{}", path_id("offer id", offer_id)?);
        let request = self.http.request(Method::GET, &path);
        self.http
            .execute("get_offer", request, |raw| {
                let offer: Offer = decode(raw, Utc::now())?;
                map_offer(&offer, &offer_passenger_ids(&offer)).map_err(|e| mapping_error(raw, &e))
            })
            .await
    }

    /// Creates an instant order paid from the Duffel balance. Duffel has no
    /// idempotency header: after an unknown outcome, look the order up with
    /// [`DuffelClient::find_order_by_metadata`] before creating again.
    pub async fn create_order(&self, order: &NewOrder<'_>) -> Result<DuffelOrder, ProviderError> {
        let body = order_body(order)?;
        let request = self.http.request(Method::POST, "/air/orders").json(&body);
        self.http
            .execute("create_order", request, decode_order)
            .await
    }

    pub async fn get_order(&self, order_id: &str) -> Result<DuffelOrder, ProviderError> {
        let path = format!("/air/orders/{}", path_id("order id", order_id)?);
        let request = self.http.request(Method::GET, &path);
        self.http.execute("get_order", request, decode_order).await
    }

    /// Scans up to `max_pages` pages of orders for one whose
    /// `metadata[key] == value` (a list: consistent, unlike a search).
    /// [`OrderLookup::Absent`] only when every order was scanned; running
    /// out of pages first is [`OrderLookup::Incomplete`], which proves
    /// nothing.
    pub async fn find_order_by_metadata(
        &self,
        key: &str,
        value: &str,
        max_pages: u32,
    ) -> Result<OrderLookup, ProviderError> {
        if max_pages == 0 {
            return Err(ProviderError::invalid_request(
                "find_order_by_metadata needs at least one page",
            ));
        }
        let mut after: Option<String> = None;
        for _ in 0..max_pages {
            let mut query = vec![("limit", ORDER_PAGE_LIMIT.to_owned())];
            if let Some(cursor) = &after {
                query.push(("after", cursor.clone()));
            }
            let request = self.http.request(Method::GET, "/air/orders").query(&query);
            let (found, next) = self
                .http
                .execute("list_orders", request, |raw| {
                    scan_order_page(raw, key, value)
                })
                .await?;
            if let Some(order) = found {
                return Ok(OrderLookup::Found(order));
            }
            match next {
                Some(cursor) => after = Some(cursor),
                None => return Ok(OrderLookup::Absent),
            }
        }
        Ok(OrderLookup::Incomplete)
    }

    /// Every order, newest first as Duffel lists them, reading at most
    /// `max_pages` pages of 200. `complete` says whether the end was
    /// reached (an order absent from an incomplete listing may exist).
    pub async fn list_orders(
        &self,
        max_pages: u32,
    ) -> Result<crate::providers::stripe::Listed<DuffelOrder>, ProviderError> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..max_pages.max(1) {
            let mut query = vec![("limit", ORDER_PAGE_LIMIT.to_owned())];
            if let Some(cursor) = &after {
                query.push(("after", cursor.clone()));
            }
            let request = self.http.request(Method::GET, "/air/orders").query(&query);
            let (orders, next) = self
                .http
                .execute("list_orders", request, decode_order_page)
                .await?;
            items.extend(orders);
            match next {
                Some(cursor) => after = Some(cursor),
                None => {
                    return Ok(crate::providers::stripe::Listed {
                        items,
                        complete: true,
                    });
                }
            }
        }
        Ok(crate::providers::stripe::Listed {
            items,
            complete: false,
        })
    }

    /// Requests and confirms the cancellation of an order. An order that is
    /// already cancelled gives `Ok` with `already_cancelled: true`.
    pub async fn cancel_order(&self, order_id: &str) -> Result<Cancellation, ProviderError> {
        path_id("order id", order_id)?;
        let pending = match self.create_cancellation(order_id).await {
            Ok(pending) => pending,
            Err(error) if is_already_cancelled(&error) => return Ok(already_cancelled(None)),
            Err(error @ ProviderError::Rejected { .. }) => {
                return self.already_cancelled_or(order_id, None, error).await;
            }
            Err(error) => return Err(error),
        };
        match self.confirm_cancellation(&pending.id).await {
            Ok(confirmed) => Ok(confirmed),
            Err(error) if is_already_cancelled(&error) => Ok(already_cancelled(Some(pending.id))),
            Err(error @ ProviderError::Rejected { .. }) => {
                self.already_cancelled_or(order_id, Some(pending.id), error)
                    .await
            }
            Err(error) => Err(error),
        }
    }

    async fn create_cancellation(
        &self,
        order_id: &str,
    ) -> Result<OrderCancellation, ProviderError> {
        let request = self
            .http
            .request(Method::POST, "/air/order_cancellations")
            .json(&cancellation_body(order_id));
        self.http
            .execute("create_cancellation", request, |raw| {
                decode(raw, Utc::now())
            })
            .await
    }

    async fn confirm_cancellation(&self, id: &str) -> Result<Cancellation, ProviderError> {
        let path = format!(
            "/air/order_cancellations/{}/actions/confirm",
            path_id("order cancellation id", id)?
        );
        let request = self.http.request(Method::POST, &path);
        self.http
            .execute("confirm_cancellation", request, |raw| {
                let confirmed: OrderCancellation = decode(raw, Utc::now())?;
                map_cancellation(&confirmed).map_err(|e| mapping_error(raw, &e))
            })
            .await
    }

    /// After a rejected cancellation step: if the order shows as cancelled,
    /// the goal is reached; otherwise the rejection stands.
    async fn already_cancelled_or(
        &self,
        order_id: &str,
        id: Option<String>,
        error: ProviderError,
    ) -> Result<Cancellation, ProviderError> {
        match self.get_order(order_id).await {
            Ok(order) if order.cancelled => Ok(already_cancelled(id)),
            _ => Err(error),
        }
    }
}

fn already_cancelled(id: Option<String>) -> Cancellation {
    Cancellation {
        id,
        refund: None,
        already_cancelled: true,
    }
}

fn is_already_cancelled(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Rejected { .. }) && error.code() == Some(ALREADY_CANCELLED)
}

fn mapping_error(raw: &RawResponse, error: &super::mapping::MappingError) -> ProviderError {
    ProviderError::invalid_response(Provider::Duffel, raw.status, &error.0)
}

/// Decodes an order answer (create or get).
pub fn decode_order(raw: &RawResponse) -> Result<DuffelOrder, ProviderError> {
    let order: Order = decode(raw, Utc::now())?;
    map_order(&order).map_err(|e| mapping_error(raw, &e))
}

/// One page of `GET /air/orders`: every order on it and the cursor of the
/// next page.
pub fn decode_order_page(
    raw: &RawResponse,
) -> Result<(Vec<DuffelOrder>, Option<String>), ProviderError> {
    if !raw.is_success() {
        return Err(super::errors::error_from_response(raw, Utc::now()));
    }
    let page: Page = crate::providers::transport::parse_json(Provider::Duffel, raw)?;
    let next = page.meta.and_then(|meta| meta.after);
    let orders = page
        .data
        .into_iter()
        .map(|entry| {
            let order: Order = serde_json::from_value(entry).map_err(|e| {
                ProviderError::invalid_response(
                    Provider::Duffel,
                    raw.status,
                    &json_error_detail(&e),
                )
            })?;
            map_order(&order).map_err(|e| mapping_error(raw, &e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((orders, next))
}

/// One page of `GET /air/orders`: the matching order, if any, and the
/// cursor of the next page.
pub fn scan_order_page(
    raw: &RawResponse,
    key: &str,
    value: &str,
) -> Result<(Option<DuffelOrder>, Option<String>), ProviderError> {
    if !raw.is_success() {
        return Err(super::errors::error_from_response(raw, Utc::now()));
    }
    let page: Page = crate::providers::transport::parse_json(Provider::Duffel, raw)?;
    let next = page.meta.and_then(|meta| meta.after);
    let Some(entry) = page
        .data
        .into_iter()
        .find(|order| order_metadata_matches(order, key, value))
    else {
        return Ok((None, next));
    };
    let order: Order = serde_json::from_value(entry).map_err(|e| {
        ProviderError::invalid_response(Provider::Duffel, raw.status, &json_error_detail(&e))
    })?;
    let order = map_order(&order).map_err(|e| mapping_error(raw, &e))?;
    Ok((Some(order), next))
}
