//! Reading many objects at once through Stripe's list endpoints
//! (`GET /v1/payment_intents`, `GET /v1/refunds`): newest first, filtered
//! by creation time (and customer), followed page by page with
//! `starting_after`.
//!
//! Unlike search, lists are read from the objects themselves, so an object
//! created a moment ago is in them (Stripe's own advice for
//! read-after-write flows). A listing stops after a bounded number of
//! pages; [`Listed::complete`] says whether it reached the end, and an
//! incomplete listing can never prove that something does not exist.

use chrono::Utc;
use reqwest::Method;

use super::client::{StripeClient, decode_intent_page, decode_refund_page};
use super::model::{PaymentIntent, Refund};
use crate::providers::error::ProviderError;
use crate::providers::transport::{RawResponse, path_id};

/// Objects per list page (Stripe's maximum).
const PAGE_LIMIT: &str = "100";

/// A window of creation times (Unix seconds) and an optional customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// `created[gte]`.
    pub created_from: Option<i64>,
    /// `created[lt]`.
    pub created_before: Option<i64>,
    /// `customer` (payment intents only).
    pub customer: Option<String>,
    /// `payment_intent` (refunds only).
    pub payment_intent: Option<String>,
}

impl ListFilter {
    /// Objects created at or after `from` (Unix seconds).
    pub fn created_since(from: i64) -> Self {
        ListFilter {
            created_from: Some(from),
            ..ListFilter::default()
        }
    }

    fn params(&self) -> Result<Vec<(&'static str, String)>, ProviderError> {
        let mut params = vec![("limit", PAGE_LIMIT.to_owned())];
        if let Some(from) = self.created_from {
            params.push(("created[gte]", from.to_string()));
        }
        if let Some(before) = self.created_before {
            params.push(("created[lt]", before.to_string()));
        }
        if let Some(customer) = &self.customer {
            params.push(("customer", path_id("customer id", customer)?.to_owned()));
        }
        if let Some(intent) = &self.payment_intent {
            params.push((
                "payment_intent",
                path_id("payment intent id", intent)?.to_owned(),
            ));
        }
        Ok(params)
    }
}

/// What a bounded listing found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    /// Every page was read: an object absent from `items` does not exist
    /// (within the filter).
    pub complete: bool,
}

impl StripeClient {
    /// Payment intents matching `filter`, newest first, reading at most
    /// `max_pages` pages of 100.
    pub async fn list_payment_intents(
        &self,
        filter: &ListFilter,
        max_pages: u32,
    ) -> Result<Listed<PaymentIntent>, ProviderError> {
        self.list(
            "list_payment_intents",
            "/v1/payment_intents",
            filter,
            max_pages,
            decode_intent_page,
        )
        .await
    }

    /// Refunds matching `filter`, newest first, reading at most
    /// `max_pages` pages of 100.
    pub async fn list_refunds_filtered(
        &self,
        filter: &ListFilter,
        max_pages: u32,
    ) -> Result<Listed<Refund>, ProviderError> {
        self.list(
            "list_refunds",
            "/v1/refunds",
            filter,
            max_pages,
            decode_refund_page,
        )
        .await
    }

    /// One listing endpoint, page after page with `starting_after`.
    async fn list<T: HasId>(
        &self,
        operation: &'static str,
        path: &str,
        filter: &ListFilter,
        max_pages: u32,
        decode: DecodePage<T>,
    ) -> Result<Listed<T>, ProviderError> {
        let params = filter.params()?;
        self.list_pages(max_pages, |after| {
            let mut query = params.clone();
            if let Some(after) = after {
                query.push(("starting_after", after.to_owned()));
            }
            let request = self.http().request(Method::GET, path).query(&query);
            async move { self.http().execute(operation, request, decode).await }
        })
        .await
    }

    async fn list_pages<T: HasId, F, Fut>(
        &self,
        max_pages: u32,
        mut page: F,
    ) -> Result<Listed<T>, ProviderError>
    where
        F: FnMut(Option<&str>) -> Fut,
        Fut: std::future::Future<Output = Result<(Vec<T>, bool), ProviderError>>,
    {
        if max_pages == 0 {
            return Err(ProviderError::invalid_request(
                "a listing needs at least one page",
            ));
        }
        let mut items: Vec<T> = Vec::new();
        for _ in 0..max_pages {
            let after = items.last().map(|item| item.id().to_owned());
            let (found, has_more) = page(after.as_deref()).await?;
            let empty = found.is_empty();
            items.extend(found);
            if !has_more || empty {
                return Ok(Listed {
                    items,
                    complete: true,
                });
            }
        }
        Ok(Listed {
            items,
            complete: false,
        })
    }
}

/// Reads one list page: its objects and whether more follow.
type DecodePage<T> = fn(&RawResponse) -> Result<(Vec<T>, bool), ProviderError>;

/// Objects with a Stripe id, for `starting_after`.
trait HasId {
    fn id(&self) -> &str;
}

impl HasId for PaymentIntent {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for Refund {
    fn id(&self) -> &str {
        &self.id
    }
}

/// The Unix time `seconds` ago, for creation windows.
pub fn unix_seconds_ago(seconds: i64) -> i64 {
    Utc::now().timestamp() - seconds
}
