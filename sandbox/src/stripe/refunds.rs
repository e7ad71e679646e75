//! Refunds and their rules: only a succeeded intent can be refunded, the
//! amount defaults to what is left and never exceeds what was received
//! minus what was refunded; each refund keeps its metadata and emits
//! `refund.created`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::errors::StripeError;
use super::events;
use super::form::Form;
use super::intents::Status;
use super::refund::Refund;
use super::state::StripeState;

const PARAMS: &[&str] = &["payment_intent", "amount", "reason", "metadata", "expand"];
const REASONS: &[&str] = &["duplicate", "fraudulent", "requested_by_customer"];

/// A validated `POST /v1/refunds`.
pub(crate) struct Draft {
    payment_intent: String,
    amount: Option<i64>,
    reason: Option<String>,
    metadata: BTreeMap<String, String>,
}

pub(crate) fn draft_of(form: &Form) -> Result<Draft, StripeError> {
    form.allow_only(PARAMS)?;
    let payment_intent = form
        .get("payment_intent")
        .ok_or_else(|| StripeError::missing("payment_intent"))?;
    let reason = match form.get("reason") {
        None => None,
        Some(reason) if REASONS.contains(&reason) => Some(reason.to_owned()),
        Some(_) => {
            return Err(StripeError::invalid(
                "parameter_invalid_string",
                "reason",
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
            ));
        }
    };
    Ok(Draft {
        payment_intent: payment_intent.to_owned(),
        amount: form.positive_integer("amount")?,
        reason,
        metadata: form.metadata.clone(),
    })
}

/// Makes the refund (or says why not).
pub(crate) fn refund(
    state: &mut StripeState,
    draft: Draft,
    now: DateTime<Utc>,
) -> Result<Value, StripeError> {
    let id = state.new_id("re");
    let intent = state
        .intents
        .iter_mut()
        .find(|intent| intent.id == draft.payment_intent)
        .ok_or_else(|| {
            StripeError::no_such("payment_intent", &draft.payment_intent, "payment_intent")
        })?;
    if intent.status != Status::Succeeded {
        return Err(StripeError::unexpected_state(format!(
            "This PaymentIntent does not have a successful charge to refund (status {}).",
            intent.status.as_str()
        )));
    }
    let remaining = intent.amount_received - intent.amount_refunded;
    if remaining <= 0 {
        return Err(StripeError::invalid(
            "charge_already_refunded",
            "payment_intent",
            "This charge has already been refunded.",
        ));
    }
    let amount = draft.amount.unwrap_or(remaining);
    if amount > remaining {
        return Err(StripeError::invalid(
            "amount_too_large",
            "amount",
            format!(
                "Refund amount ({amount}) is greater than the amount left to refund ({remaining})."
            ),
        ));
    }
    intent.amount_refunded += amount;
    let refund = Refund {
        id,
        payment_intent: intent.id.clone(),
        charge: intent.latest_charge.clone(),
        amount,
        currency: intent.currency.clone(),
        reason: draft.reason,
        metadata: draft.metadata,
        created: now.timestamp(),
    };
    let changed = intent.clone();
    state.index.record(&changed, now);
    let body = refund.json();
    state.events.emit(events::REFUND_CREATED, body.clone(), now);
    state.refunds.push(refund);
    Ok(body)
}
