//! `POST /v1/payment_intents`: a new intent, confirmed at once with
//! `confirm=true`; and the form checks that confirm shares.
//!
//! A create without `confirm` takes its scripted outcome from the
//! `creations` queue, a create with it from `authorizations` (it places
//! the hold).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};

use super::errors::StripeError;
use super::events;
use super::execution::{Outcome, execute, settle};
use super::form::Form;
use super::gate::Caller;
use super::intents::{ConfirmOptions, PaymentIntent, Status, card_behaviour};
use super::{StripeService, calls};
use crate::ids;
use crate::script::{AuthorizationFault, CreationFault};

const CREATE_PARAMS: &[&str] = &[
    "amount",
    "currency",
    "capture_method",
    "payment_method",
    "payment_method_types",
    "customer",
    "description",
    "confirm",
    "metadata",
    "expand",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "setup_future_usage",
    "off_session",
    "return_url",
    "confirmation_method",
    "automatic_payment_methods",
    "error_on_requires_action",
];

/// A validated create request.
struct Draft {
    amount: i64,
    currency: String,
    capture_method: String,
    payment_method: Option<String>,
    payment_method_types: Vec<String>,
    customer: Option<String>,
    description: Option<String>,
    metadata: BTreeMap<String, String>,
    confirm: bool,
    options: ConfirmOptions,
}

/// The form, with nothing outside `allowed`.
pub(super) fn form_of(body: &[u8], allowed: &[&str]) -> Result<Form, StripeError> {
    let form = Form::parse(body)?;
    form.allow_only(allowed)?;
    Ok(form)
}

/// `payment_method`, which must be one of Stripe's test payment methods.
pub(super) fn known_payment_method(form: &Form) -> Result<Option<String>, StripeError> {
    match form.get("payment_method") {
        None => Ok(None),
        Some(pm) if card_behaviour(pm).is_some() => Ok(Some(pm.to_owned())),
        Some(pm) => Err(StripeError::no_such("PaymentMethod", pm, "payment_method")),
    }
}

/// `error_on_requires_action` and `off_session`: either makes a card that
/// needs authentication fail instead of waiting for the customer.
pub(super) fn confirm_options(form: &Form) -> Result<ConfirmOptions, StripeError> {
    let error_on_requires_action = form.boolean("error_on_requires_action")?.unwrap_or(false);
    let off_session = form.boolean("off_session")?.unwrap_or(false);
    Ok(ConfirmOptions {
        error_on_requires_action: error_on_requires_action || off_session,
    })
}

fn draft_of(form: &Form) -> Result<Draft, StripeError> {
    let amount = form
        .positive_integer("amount")?
        .ok_or_else(|| StripeError::missing("amount"))?;
    let currency = form
        .get("currency")
        .ok_or_else(|| StripeError::missing("currency"))?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(StripeError::invalid(
            "parameter_invalid_string",
            "currency",
            "Invalid currency: must be a three-letter ISO code.",
        ));
    }
    let capture_method = match form.get("capture_method") {
        None => "automatic",
        Some(method @ ("manual" | "automatic" | "automatic_async")) => method,
        Some(_) => {
            return Err(StripeError::invalid(
                "parameter_invalid_string",
                "capture_method",
                "Invalid capture_method: must be one of automatic, automatic_async or manual",
            ));
        }
    };
    let customer = match form.get("customer") {
        None => None,
        Some(customer) if customer.starts_with("cus_") && customer.len() > 4 => {
            Some(customer.to_owned())
        }
        Some(customer) => return Err(StripeError::no_such("customer", customer, "customer")),
    };
    Ok(Draft {
        amount,
        currency: currency.to_ascii_lowercase(),
        capture_method: capture_method.to_owned(),
        payment_method: known_payment_method(form)?,
        payment_method_types: form
            .lists
            .get("payment_method_types")
            .cloned()
            .unwrap_or_else(|| vec!["card".into()]),
        customer,
        description: form.get("description").map(str::to_owned),
        metadata: form.metadata.clone(),
        confirm: form.boolean("confirm")?.unwrap_or(false),
        options: confirm_options(form)?,
    })
}

/// The scripted outcome of one create: from the queue of its kind.
#[derive(Debug, Clone, Copy)]
enum Scripted {
    Creation(Option<CreationFault>),
    Authorization(Option<AuthorizationFault>),
}

pub(crate) async fn create(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let (form, draft) =
        match form_of(&body, CREATE_PARAMS).and_then(|form| Ok((draft_of(&form)?, form))) {
            Ok((draft, form)) => (form, draft),
            Err(error) => return error.into_response(),
        };
    let fingerprint = form.fingerprint("POST", "/v1/payment_intents");
    execute(&service, &caller, fingerprint, || {
        let scripted = if draft.confirm {
            Scripted::Authorization(service.ctx.script(|q| q.next_authorization()))
        } else {
            Scripted::Creation(service.ctx.script(|q| q.next_creation()))
        };
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if matches!(
            scripted,
            Scripted::Authorization(Some(AuthorizationFault::Transient))
                | Scripted::Creation(Some(CreationFault::Transient))
        ) {
            return Outcome::transient(&service, &mut state, calls::CREATE);
        }
        let id = state.new_id("pi");
        let client_secret = format!("{id}_secret_{}", ids::secret(&mut state.rng, 25));
        let mut intent = PaymentIntent {
            status: if draft.payment_method.is_some() {
                Status::RequiresConfirmation
            } else {
                Status::RequiresPaymentMethod
            },
            id,
            amount: draft.amount,
            currency: draft.currency,
            capture_method: draft.capture_method,
            amount_capturable: 0,
            amount_received: 0,
            amount_refunded: 0,
            payment_method: draft.payment_method,
            payment_method_types: draft.payment_method_types,
            customer: draft.customer,
            description: draft.description,
            metadata: draft.metadata,
            created: now.timestamp(),
            client_secret,
            cancellation_reason: None,
            canceled_at: None,
            last_payment_error: None,
            latest_charge: None,
            authorized_at: None,
        };
        state
            .events
            .emit(events::INTENT_CREATED, intent.json(), now);
        let result = if draft.confirm {
            let charge = state.new_id("ch");
            let created = intent.clone();
            let confirmed = intent
                .confirm(None, charge, draft.options, now)
                .map(|()| intent.json());
            state.events.intent_changed(&created, &intent, now);
            confirmed
        } else {
            Ok(intent.json())
        };
        state.add_intent(intent, now);
        match scripted {
            Scripted::Authorization(fault) => {
                settle(&service, &mut state, result, fault, &faults, calls::CREATE)
            }
            Scripted::Creation(fault) => {
                settle(&service, &mut state, result, fault, &faults, calls::CREATE)
            }
        }
    })
    .await
}
