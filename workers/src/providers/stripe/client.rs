//! The Stripe HTTP client: form-encoded requests, JSON answers, and an
//! `Idempotency-Key` on every POST.

use chrono::Utc;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};

use autobook_contracts::Money;

use super::errors::decode;
use super::form::FormBody;
use super::model::{CancellationReason, NewPaymentIntent, NewRefund, PaymentIntent, Refund};
use super::request::{
    cancel_form, capture_form, check_idempotency_key, create_intent_form, refund_form,
};
use super::wire::{IntentPage, PaymentIntentWire, RefundPage, RefundWire};
use crate::providers::config::ProviderConfig;
use crate::providers::error::{Provider, ProviderError};
use crate::providers::transport::{HttpTransport, RawResponse, path_id};

/// Refunds per list page (Stripe's maximum).
const LIST_PAGE_LIMIT: &str = "100";
/// Pages of a payment intent's refunds followed at most.
const MAX_LIST_PAGES: usize = 10;

/// A client of the Stripe API.
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: HttpTransport,
}

impl StripeClient {
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let http = HttpTransport::new(Provider::Stripe, &config, HeaderMap::new())?;
        Ok(StripeClient { http })
    }

    pub(super) fn http(&self) -> &HttpTransport {
        &self.http
    }

    /// Creates a manual-capture PaymentIntent (not yet confirmed).
    pub async fn create_payment_intent(
        &self,
        intent: &NewPaymentIntent,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let form = create_intent_form(intent)?;
        self.post(
            "create_payment_intent",
            "/v1/payment_intents",
            &form,
            idempotency_key,
        )
        .await
    }

    /// Confirms the PaymentIntent: places the hold (`requires_capture`) or
    /// fails with a 402 card error.
    pub async fn confirm_payment_intent(
        &self,
        id: &str,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let path = intent_path(id, "/confirm")?;
        self.post(
            "confirm_payment_intent",
            &path,
            &FormBody::new(),
            idempotency_key,
        )
        .await
    }

    /// Captures the hold, in full or up to `amount`.
    pub async fn capture_payment_intent(
        &self,
        id: &str,
        amount: Option<Money>,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let path = intent_path(id, "/capture")?;
        let form = capture_form(amount)?;
        self.post("capture_payment_intent", &path, &form, idempotency_key)
            .await
    }

    /// Cancels an uncaptured PaymentIntent, releasing the hold.
    pub async fn cancel_payment_intent(
        &self,
        id: &str,
        reason: CancellationReason,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let path = intent_path(id, "/cancel")?;
        self.post(
            "cancel_payment_intent",
            &path,
            &cancel_form(reason),
            idempotency_key,
        )
        .await
    }

    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, ProviderError> {
        let path = intent_path(id, "")?;
        let request = self.http.request(Method::GET, &path);
        self.http
            .execute("retrieve_payment_intent", request, decode_intent)
            .await
    }

    pub async fn create_refund(
        &self,
        refund: &NewRefund,
        idempotency_key: &str,
    ) -> Result<Refund, ProviderError> {
        let form = refund_form(refund)?;
        let request = self.form_post("/v1/refunds", &form, idempotency_key)?;
        self.http
            .execute("create_refund", request, decode_refund)
            .await
    }

    /// The refunds of one PaymentIntent, newest first (`GET /v1/refunds`).
    /// Unlike search, the list is read from the refunds themselves: a
    /// refund made a moment ago is in it.
    pub async fn list_refunds(&self, payment_intent: &str) -> Result<Vec<Refund>, ProviderError> {
        let payment_intent = path_id("payment intent id", payment_intent)?;
        let mut found: Vec<Refund> = Vec::new();
        for _ in 0..MAX_LIST_PAGES {
            let mut params = vec![
                ("payment_intent", payment_intent.to_owned()),
                ("limit", LIST_PAGE_LIMIT.to_owned()),
            ];
            if let Some(last) = found.last() {
                params.push(("starting_after", last.id.clone()));
            }
            let request = self.http.request(Method::GET, "/v1/refunds").query(&params);
            let (refunds, has_more) = self
                .http
                .execute("list_refunds", request, decode_refund_page)
                .await?;
            let empty = refunds.is_empty();
            found.extend(refunds);
            if !has_more || empty {
                break;
            }
        }
        Ok(found)
    }

    async fn post(
        &self,
        operation: &'static str,
        path: &str,
        form: &FormBody,
        idempotency_key: &str,
    ) -> Result<PaymentIntent, ProviderError> {
        let request = self.form_post(path, form, idempotency_key)?;
        self.http.execute(operation, request, decode_intent).await
    }

    fn form_post(
        &self,
        path: &str,
        form: &FormBody,
        idempotency_key: &str,
    ) -> Result<reqwest::RequestBuilder, ProviderError> {
        Ok(self
            .http
            .request(Method::POST, path)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("Idempotency-Key", check_idempotency_key(idempotency_key)?)
            .body(form.encode()?))
    }
}

fn intent_path(id: &str, action: &str) -> Result<String, ProviderError> {
    Ok(format!(
        "/v1/payment_intents/{}{action}",
        path_id("payment intent id", id)?
    ))
}

/// Decodes a PaymentIntent answer.
pub fn decode_intent(raw: &RawResponse) -> Result<PaymentIntent, ProviderError> {
    let wire: PaymentIntentWire = decode(raw, Utc::now())?;
    PaymentIntent::try_from(wire).map_err(|field| malformed(raw, field))
}

/// Decodes a refund answer.
pub fn decode_refund(raw: &RawResponse) -> Result<Refund, ProviderError> {
    let wire: RefundWire = decode(raw, Utc::now())?;
    Refund::try_from(wire).map_err(|field| malformed(raw, field))
}

/// Decodes a page of refunds and whether more follow.
pub fn decode_refund_page(raw: &RawResponse) -> Result<(Vec<Refund>, bool), ProviderError> {
    let page: RefundPage = decode(raw, Utc::now())?;
    let refunds = page
        .data
        .into_iter()
        .map(Refund::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|field| malformed(raw, field))?;
    Ok((refunds, page.has_more))
}

/// Decodes a page of payment intents and whether more follow.
pub fn decode_intent_page(raw: &RawResponse) -> Result<(Vec<PaymentIntent>, bool), ProviderError> {
    let page: IntentPage = decode(raw, Utc::now())?;
    let intents = page
        .data
        .into_iter()
        .map(PaymentIntent::try_from)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|field| malformed(raw, field))?;
    Ok((intents, page.has_more))
}

fn malformed(raw: &RawResponse, field: &str) -> ProviderError {
    ProviderError::invalid_response(Provider::Stripe, raw.status, &format!("malformed {field}"))
}
