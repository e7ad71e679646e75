//! Stripe request bodies, built without I/O.

use autobook_contracts::Money;

use super::form::FormBody;
use super::model::{CancellationReason, NewPaymentIntent, NewRefund};
use crate::providers::error::ProviderError;

/// Stripe's longest idempotency key.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// `POST /v1/payment_intents`: a manual-capture card PaymentIntent.
pub fn create_intent_form(intent: &NewPaymentIntent) -> Result<FormBody, ProviderError> {
    let mut form = FormBody::new();
    form.field("amount", positive_minor(intent.amount)?)
        .field("currency", intent.amount.currency.lowercase())
        .field("capture_method", "manual")
        .field(
            "payment_method",
            non_empty("payment_method", &intent.payment_method)?,
        )
        .list("payment_method_types", ["card"]);
    if let Some(customer) = &intent.customer {
        form.field("customer", non_empty("customer", customer)?);
    }
    if !intent.description.is_empty() {
        form.field("description", intent.description.as_str());
    }
    form.metadata(&intent.metadata)?;
    Ok(form)
}

/// `POST /v1/payment_intents/{id}/capture`: all of the hold, or `amount`.
pub fn capture_form(amount: Option<Money>) -> Result<FormBody, ProviderError> {
    let mut form = FormBody::new();
    if let Some(amount) = amount {
        form.field("amount_to_capture", positive_minor(amount)?);
    }
    Ok(form)
}

/// `POST /v1/payment_intents/{id}/cancel`.
pub fn cancel_form(reason: CancellationReason) -> FormBody {
    let mut form = FormBody::new();
    form.field("cancellation_reason", reason.as_str());
    form
}

/// `POST /v1/refunds`.
pub fn refund_form(refund: &NewRefund) -> Result<FormBody, ProviderError> {
    let mut form = FormBody::new();
    form.field(
        "payment_intent",
        non_empty("payment_intent", &refund.payment_intent)?,
    );
    if let Some(amount) = refund.amount {
        form.field("amount", positive_minor(amount)?);
    }
    if let Some(reason) = &refund.reason {
        form.field("reason", non_empty("reason", reason)?);
    }
    form.metadata(&refund.metadata)?;
    Ok(form)
}

/// Checks an `Idempotency-Key` before it is sent.
pub fn check_idempotency_key(key: &str) -> Result<&str, ProviderError> {
    let valid = !key.is_empty()
        && key.chars().count() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.chars().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(key)
    } else {
        Err(ProviderError::invalid_request(
            "idempotency key must be 1 to 255 visible ASCII characters",
        ))
    }
}

fn positive_minor(amount: Money) -> Result<String, ProviderError> {
    if amount.amount_minor > 0 {
        Ok(amount.amount_minor.to_string())
    } else {
        Err(ProviderError::invalid_request("amount must be positive"))
    }
}

fn non_empty<'a>(what: &str, value: &'a str) -> Result<&'a str, ProviderError> {
    if value.trim().is_empty() {
        Err(ProviderError::invalid_request(&format!("{what} is empty")))
    } else {
        Ok(value)
    }
}
