//! The events the payment worker answers with, built from what Stripe
//! said. Pure.

use autobook_contracts::commands::{AuthorizePayment, CapturePayment, VoidHold};
use autobook_contracts::events::{
    CaptureFailed, HoldVoided, PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentFailed,
    StepOutcomeUnknown, VoidFailed,
};
use autobook_contracts::money::Money;
use autobook_contracts::{IdempotencyKey, Step};

use crate::providers::{ErrorClass, PaymentIntent, PaymentIntentStatus, ProviderError};
use crate::worker::Reply;

/// The decline code reported when the card asks for the traveller.
pub const AUTHENTICATION_REQUIRED: &str = "authentication_required";

/// A card error (HTTP 402): the card said no.
pub fn is_card_error(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Rejected { error_type, .. } if error_type == "card_error")
}

/// Stripe says the object does not exist (404 `resource_missing`): a
/// permanent answer, never retried.
pub fn is_missing(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Rejected { status: 404, .. })
        || error.code() == Some("resource_missing")
}

pub fn authorized(c: &AuthorizePayment, intent: &PaymentIntent) -> Reply {
    Reply::settled(PaymentAuthorized {
        idempotency_key: c.idempotency_key.clone(),
        payment_intent_id: intent.id.clone(),
        amount: Money::new(intent.amount_capturable, intent.amount.currency),
    })
}

/// The intent shows a card declined at an earlier confirmation.
pub fn declined_from_intent(c: &AuthorizePayment, intent: &PaymentIntent) -> Reply {
    Reply::settled(PaymentDeclined {
        idempotency_key: c.idempotency_key.clone(),
        payment_intent_id: Some(intent.id.clone()),
        decline_code: intent.last_decline_code.clone(),
        detail: "the card was declined".into(),
    })
}

/// The card needs the traveller (3-D Secure); the intent was released.
pub fn authentication_required(c: &AuthorizePayment, intent: &PaymentIntent) -> Reply {
    Reply::settled(PaymentDeclined {
        idempotency_key: c.idempotency_key.clone(),
        payment_intent_id: Some(intent.id.clone()),
        decline_code: Some(AUTHENTICATION_REQUIRED.to_owned()),
        detail: "the card requires the cardholder to authenticate; released".into(),
    })
}

pub fn payment_failed(c: &AuthorizePayment, detail: &str) -> Reply {
    Reply::settled(PaymentFailed {
        idempotency_key: c.idempotency_key.clone(),
        detail: detail.to_owned(),
    })
}

/// A definite no to creating or confirming the hold: a card error is a
/// decline, anything else a failed payment.
pub fn authorization_refused(
    c: &AuthorizePayment,
    intent_id: Option<String>,
    error: &ProviderError,
) -> Reply {
    match error {
        ProviderError::Rejected {
            decline_code,
            payment_intent_id,
            message,
            code,
            ..
        } if is_card_error(error) => Reply::settled(PaymentDeclined {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: payment_intent_id.clone().or(intent_id),
            decline_code: decline_code.clone().or_else(|| code.clone()),
            detail: message.clone(),
        }),
        _ => payment_failed(c, &error.to_string()),
    }
}

/// The step may have taken effect and nothing could settle it yet.
pub fn unknown(key: IdempotencyKey, step: Step, error: &ProviderError) -> Reply {
    debug_assert_ne!(error.class(), ErrorClass::Permanent);
    unknown_detail(key, step, &error.to_string())
}

pub fn unknown_detail(key: IdempotencyKey, step: Step, detail: &str) -> Reply {
    Reply::unknown(StepOutcomeUnknown {
        idempotency_key: key,
        step,
        detail: detail.to_owned(),
    })
}

/// What a capture came to, from the intent's state.
pub fn capture_result(c: &CapturePayment, intent: &PaymentIntent) -> Reply {
    if intent.status == PaymentIntentStatus::Succeeded {
        Reply::settled(PaymentCaptured {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id.clone(),
            amount: Money::new(intent.amount_received, intent.amount.currency),
        })
    } else {
        capture_failed(
            c,
            &format!(
                "payment intent is {}, cannot capture",
                intent.status.as_str()
            ),
        )
    }
}

pub fn capture_failed(c: &CapturePayment, detail: &str) -> Reply {
    Reply::settled(CaptureFailed {
        idempotency_key: c.idempotency_key.clone(),
        payment_intent_id: c.payment_intent_id.clone(),
        detail: detail.to_owned(),
    })
}

/// What a release came to. A hold that could not be released is reported
/// failed and the saga tries again later (the reply may change); an
/// intent that does not exist is a permanent failure for an operator.
pub fn void_result(c: &VoidHold, intent: &PaymentIntent) -> Reply {
    match intent.status {
        PaymentIntentStatus::Canceled => Reply::settled(HoldVoided {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id.clone(),
        }),
        ref status => Reply::unknown(VoidFailed {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id.clone(),
            detail: format!(
                "payment intent is {}; the hold could not be released",
                status.as_str()
            ),
            permanent: false,
        }),
    }
}

pub fn void_missing(c: &VoidHold) -> Reply {
    Reply::settled(VoidFailed {
        idempotency_key: c.idempotency_key.clone(),
        payment_intent_id: c.payment_intent_id.clone(),
        detail: "the payment intent does not exist at Stripe".into(),
        permanent: true,
    })
}
