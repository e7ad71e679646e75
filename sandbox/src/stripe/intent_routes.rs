//! Payment intent changes: create, confirm, capture and cancel, each run
//! under its idempotency key.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};

use super::StripeService;
use super::errors::StripeError;
use super::events;
use super::execution::{Outcome, execute};
use super::form::Form;
use super::gate::Caller;
use super::intents::{PaymentIntent, Status, card_behaviour};
use super::state::StripeState;
use crate::faults::{Transient, roll};
use crate::ids;
use crate::script::{AuthorizationFault, CaptureFault, VoidFault};

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
const CONFIRM_PARAMS: &[&str] = &[
    "payment_method",
    "return_url",
    "off_session",
    "expand",
    "error_on_requires_action",
    "setup_future_usage",
];
const CAPTURE_PARAMS: &[&str] = &[
    "amount_to_capture",
    "expand",
    "statement_descriptor",
    "statement_descriptor_suffix",
];
const CANCEL_PARAMS: &[&str] = &["cancellation_reason", "expand"];
const CANCELLATION_REASONS: &[&str] = &[
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "abandoned",
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
}

fn form_of(body: &[u8], allowed: &[&str]) -> Result<Form, StripeError> {
    let form = Form::parse(body)?;
    form.allow_only(allowed)?;
    Ok(form)
}

fn known_payment_method(form: &Form) -> Result<Option<String>, StripeError> {
    match form.get("payment_method") {
        None => Ok(None),
        Some(pm) if card_behaviour(pm).is_some() => Ok(Some(pm.to_owned())),
        Some(pm) => Err(StripeError::no_such("PaymentMethod", pm, "payment_method")),
    }
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
    })
}

/// Holds the answer back for a scripted or drawn "timeout after effect".
fn delay_answer(state: &mut StripeState, scripted_timeout: Option<bool>, rate: f64) -> bool {
    scripted_timeout.unwrap_or_else(|| roll(&mut state.rng, rate))
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
            service.ctx.script(|q| q.next_authorization())
        } else {
            None
        };
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(AuthorizationFault::Transient) {
            return Outcome::NotExecuted(StripeError::transient(Transient::draw(&mut state.rng)));
        }
        let id = ids::stripe_id(&mut state.rng, "pi");
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
            let charge = ids::stripe_id(&mut state.rng, "ch");
            let created = intent.clone();
            let confirmed = intent.confirm(None, charge, now).map(|()| intent.json());
            state.events.intent_changed(&created, &intent, now);
            confirmed
        } else {
            Ok(intent.json())
        };
        state.intents.push(intent);
        if scripted == Some(AuthorizationFault::ServerErrorAfterEffect) && result.is_ok() {
            return Outcome::of(Err(StripeError::internal_after_effect()), false);
        }
        let scripted_timeout =
            scripted.map(|fault| fault == AuthorizationFault::TimeoutAfterEffect);
        let delay = delay_answer(
            &mut state,
            scripted_timeout,
            faults.timeout_after_effect_rate,
        );
        Outcome::of(result, delay)
    })
    .await
}

pub(crate) async fn confirm(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (form, payment_method) = match form_of(&body, CONFIRM_PARAMS)
        .and_then(|form| Ok((known_payment_method(&form)?, form)))
    {
        Ok((payment_method, form)) => (form, payment_method),
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", &format!("/v1/payment_intents/{id}/confirm"));
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_authorization());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(AuthorizationFault::Transient) {
            return Outcome::NotExecuted(StripeError::transient(Transient::draw(&mut state.rng)));
        }
        let charge = ids::stripe_id(&mut state.rng, "ch");
        let result = state.change_intent(&id, now, |intent| {
            intent.confirm(payment_method, charge, now)?;
            Ok(intent.json())
        });
        if scripted == Some(AuthorizationFault::ServerErrorAfterEffect) && result.is_ok() {
            return Outcome::of(Err(StripeError::internal_after_effect()), false);
        }
        let scripted_timeout =
            scripted.map(|fault| fault == AuthorizationFault::TimeoutAfterEffect);
        let delay = result.is_ok()
            && delay_answer(
                &mut state,
                scripted_timeout,
                faults.timeout_after_effect_rate,
            );
        Outcome::of(result, delay)
    })
    .await
}

pub(crate) async fn capture(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (form, amount) = match form_of(&body, CAPTURE_PARAMS)
        .and_then(|form| Ok((form.positive_integer("amount_to_capture")?, form)))
    {
        Ok((amount, form)) => (form, amount),
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", &format!("/v1/payment_intents/{id}/capture"));
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_capture());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(CaptureFault::Transient) {
            return Outcome::NotExecuted(StripeError::transient(Transient::draw(&mut state.rng)));
        }
        let result = state.intent_mut(&id, now).map(|intent| intent.status);
        let result = result.and_then(|status| {
            let capturable = status == Status::RequiresCapture;
            let lapses = match scripted {
                Some(fault) => fault == CaptureFault::Lapsed,
                None => capturable && roll(&mut state.rng, faults.capture_failure_rate),
            };
            state.change_intent(&id, now, |intent| {
                if lapses && capturable {
                    intent.lapse(now);
                }
                intent.capture(amount).map(|()| intent.json())
            })
        });
        let scripted_timeout = scripted.map(|fault| fault == CaptureFault::TimeoutAfterEffect);
        let delay = result.is_ok()
            && delay_answer(
                &mut state,
                scripted_timeout,
                faults.timeout_after_effect_rate,
            );
        Outcome::of(result, delay)
    })
    .await
}

pub(crate) async fn cancel(
    State(service): State<Arc<StripeService>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let checked = form_of(&body, CANCEL_PARAMS).and_then(|form| {
        let reason = match form.get("cancellation_reason") {
            None => None,
            Some(reason) if CANCELLATION_REASONS.contains(&reason) => Some(reason.to_owned()),
            Some(_) => return Err(StripeError::invalid("parameter_invalid_string", "cancellation_reason", "Invalid cancellation_reason: must be one of duplicate, fraudulent, requested_by_customer, or abandoned")),
        };
        Ok((form, reason))
    });
    let (form, reason) = match checked {
        Ok(checked) => checked,
        Err(error) => return error.into_response(),
    };
    let fingerprint = form.fingerprint("POST", &format!("/v1/payment_intents/{id}/cancel"));
    execute(&service, &caller, fingerprint, || {
        let scripted = service.ctx.script(|q| q.next_void());
        let faults = service.ctx.faults();
        let now = service.ctx.clock.now();
        let mut state = service.state();
        if scripted == Some(VoidFault::Transient) {
            return Outcome::NotExecuted(StripeError::transient(Transient::draw(&mut state.rng)));
        }
        let result = state.change_intent(&id, now, |intent| {
            intent.cancel(reason, now)?;
            Ok(intent.json())
        });
        let delay = result.is_ok()
            && delay_answer(
                &mut state,
                scripted.map(|_| false),
                faults.timeout_after_effect_rate,
            );
        Outcome::of(result, delay)
    })
    .await
}
