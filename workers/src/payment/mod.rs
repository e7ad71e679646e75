//! The payment worker: holds (manual-capture PaymentIntents), captures,
//! voids and refunds ([`refund`]), through Stripe.
//!
//! Every call carries the command's idempotency key (the confirm call a
//! derived `<key>:confirm`), so asking Stripe again after a timeout returns
//! the first result rather than repeating it. When an earlier attempt may
//! have taken effect the intent is first looked up by its metadata.
//!
//! A hold and a capture move money: right before the first call that would
//! place or take it, the flags are asked for the trip's user, and a denial
//! defers the step without calling Stripe (see
//! [`crate::worker::gate`]). Voids and refunds give money back and are
//! never gated.

pub mod refund;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use autobook_contracts::commands::{AuthorizePayment, CapturePayment, VoidHold};
use autobook_contracts::events::{
    CaptureFailed, HoldVoided, PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentFailed,
    VoidFailed,
};
use autobook_contracts::money::Money;
use autobook_contracts::stripe_webhook::{IDEMPOTENCY_KEY_METADATA, SAGA_ID_METADATA};
use autobook_contracts::{Envelope, Message, QueueRole, Step};
use autobook_flags::FlagSource;

use crate::providers::{
    CancellationReason, ErrorClass, NewPaymentIntent, PaymentIntent, PaymentIntentStatus,
    ProviderError, StripeClient,
};
use crate::worker::gate;
use crate::worker::retry::{Caller, Repeatable};
use crate::worker::{Attempt, Failure, Reply, Service};

pub struct PaymentService {
    pub stripe: StripeClient,
    pub caller: Caller,
    /// Asked before every hold and capture.
    pub flags: Arc<dyn FlagSource>,
}

impl Service for PaymentService {
    const QUEUE: QueueRole = QueueRole::Payment;

    async fn perform(&self, command: &Envelope, attempt: Attempt) -> Result<Reply, Failure> {
        match &command.message {
            Message::AuthorizePayment(c) => self.authorize(command, c, attempt).await,
            Message::CapturePayment(c) => self.capture(c, attempt).await,
            Message::VoidHold(c) => self.void(c, attempt).await,
            Message::RefundPayment(c) => self.refund(command, c, attempt).await,
            other => Err(Failure::Unsupported(other.message_type())),
        }
    }
}

impl PaymentService {
    async fn authorize(
        &self,
        envelope: &Envelope,
        c: &AuthorizePayment,
        attempt: Attempt,
    ) -> Result<Reply, Failure> {
        let key = c.idempotency_key.as_str();
        if attempt.look_up_first {
            let found = self
                .caller
                .call(Repeatable::ByIdempotencyKey, || {
                    self.stripe
                        .search_payment_intents_by_metadata(IDEMPOTENCY_KEY_METADATA, key)
                })
                .await
                .map_err(|e| Failure::unresolved(&e))?;
            if let Some(intent) = found.into_iter().next() {
                if needs_confirmation(&intent.status) {
                    gate::check(self.flags.as_ref(), &c.user_id, Step::Authorize)?;
                }
                return self.continue_authorization(c, intent, attempt).await;
            }
        }
        gate::check(self.flags.as_ref(), &c.user_id, Step::Authorize)?;
        // Nothing was created under this step (or this is the first attempt).
        let create_key = attempt.provider_key(key);
        let metadata = BTreeMap::from([
            // Names the saga in the webhook events Stripe sends about it.
            (SAGA_ID_METADATA.to_owned(), envelope.saga_id.to_string()),
            (IDEMPOTENCY_KEY_METADATA.to_owned(), key.to_owned()),
        ]);
        let new = NewPaymentIntent {
            amount: c.amount,
            payment_method: c.payment_method.to_string(),
            customer: c.customer.as_ref().map(ToString::to_string),
            description: c.description.clone(),
            metadata,
        };
        match self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.create_payment_intent(&new, &create_key)
            })
            .await
        {
            Ok(intent) => self.continue_authorization(c, intent, attempt).await,
            Err(error) => self.authorization_error(c, None, error),
        }
    }

    /// Takes an existing intent the rest of the way to a hold.
    async fn continue_authorization(
        &self,
        c: &AuthorizePayment,
        intent: PaymentIntent,
        attempt: Attempt,
    ) -> Result<Reply, Failure> {
        match intent.status {
            PaymentIntentStatus::RequiresCapture => Ok(authorized(c, &intent)),
            PaymentIntentStatus::RequiresConfirmation
            | PaymentIntentStatus::RequiresPaymentMethod => {
                let confirm_key = attempt.provider_key(&format!("{}:confirm", c.idempotency_key));
                let confirmed = self
                    .caller
                    .call(Repeatable::ByIdempotencyKey, || {
                        self.stripe.confirm_payment_intent(&intent.id, &confirm_key)
                    })
                    .await;
                match confirmed {
                    Ok(intent) if intent.status == PaymentIntentStatus::RequiresCapture => {
                        Ok(authorized(c, &intent))
                    }
                    Ok(intent) => self.abandon(c, intent).await,
                    // Refused for the intent's state (an earlier attempt
                    // confirmed it meanwhile, say): the intent says what is true.
                    Err(error) if refused_for_state(&error) => {
                        let current = self.retrieve(&intent.id).await?;
                        match current.status {
                            PaymentIntentStatus::RequiresCapture => Ok(authorized(c, &current)),
                            _ => self.authorization_error(c, Some(intent.id), error),
                        }
                    }
                    Err(error) => self.authorization_error(c, Some(intent.id), error),
                }
            }
            PaymentIntentStatus::Canceled => Ok(Reply::settled(PaymentFailed {
                idempotency_key: c.idempotency_key.clone(),
                detail: "the payment intent was canceled".into(),
            })),
            PaymentIntentStatus::RequiresAction
            | PaymentIntentStatus::Processing
            | PaymentIntentStatus::Succeeded
            | PaymentIntentStatus::Other(_) => self.abandon(c, intent).await,
        }
    }

    /// A hold that cannot be completed without the traveller (3-D Secure,
    /// unexpected status) is released and the payment reported failed.
    async fn abandon(&self, c: &AuthorizePayment, intent: PaymentIntent) -> Result<Reply, Failure> {
        let key = format!("{}:abandon", c.idempotency_key);
        self.caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe
                    .cancel_payment_intent(&intent.id, CancellationReason::Abandoned, &key)
            })
            .await
            .map_err(|e| Failure::unresolved(&e))?;
        Ok(Reply::settled(PaymentFailed {
            idempotency_key: c.idempotency_key.clone(),
            detail: format!(
                "payment intent ended in status {:?}; released",
                intent.status
            ),
        }))
    }

    fn authorization_error(
        &self,
        c: &AuthorizePayment,
        intent_id: Option<String>,
        error: ProviderError,
    ) -> Result<Reply, Failure> {
        let key = c.idempotency_key.clone();
        match (&error, error.class()) {
            (
                ProviderError::Rejected {
                    error_type,
                    decline_code,
                    payment_intent_id,
                    message,
                    ..
                },
                ErrorClass::Permanent,
            ) if error_type == "card_error" => Ok(Reply::settled(PaymentDeclined {
                idempotency_key: key,
                payment_intent_id: payment_intent_id.clone().or(intent_id),
                decline_code: decline_code.clone(),
                detail: message.clone(),
            })),
            (_, ErrorClass::Permanent) => Ok(Reply::settled(PaymentFailed {
                idempotency_key: key,
                detail: error.to_string(),
            })),
            (_, ErrorClass::OutcomeUnknown) => {
                Ok(Reply::outcome_unknown(&key, Step::Authorize, &error))
            }
            (_, ErrorClass::Retryable) => Err(Failure::unresolved(&error)),
        }
    }

    async fn capture(&self, c: &CapturePayment, attempt: Attempt) -> Result<Reply, Failure> {
        if attempt.look_up_first {
            // An earlier attempt may have captured: the intent's state says.
            let intent = self.retrieve(&c.payment_intent_id).await?;
            if intent.status != PaymentIntentStatus::RequiresCapture {
                return Ok(capture_result(c, &intent));
            }
        }
        gate::check(self.flags.as_ref(), &c.user_id, Step::Capture)?;
        let key = attempt.provider_key(c.idempotency_key.as_str());
        let captured = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe
                    .capture_payment_intent(&c.payment_intent_id, Some(c.amount), &key)
            })
            .await;
        match captured {
            Ok(intent) => Ok(capture_result(c, &intent)),
            // Refused (already captured, canceled, lapsed): the intent says what is true.
            Err(error) if error.class() == ErrorClass::Permanent => {
                let intent = self.retrieve(&c.payment_intent_id).await?;
                Ok(capture_result(c, &intent))
            }
            Err(error) if error.class() == ErrorClass::OutcomeUnknown => Ok(
                Reply::outcome_unknown(&c.idempotency_key, Step::Capture, &error),
            ),
            Err(error) => Err(Failure::unresolved(&error)),
        }
    }

    async fn void(&self, c: &VoidHold, attempt: Attempt) -> Result<Reply, Failure> {
        if attempt.look_up_first {
            let intent = self.retrieve(&c.payment_intent_id).await?;
            if intent.status == PaymentIntentStatus::Canceled {
                return Ok(void_result(c, intent));
            }
        }
        let key = attempt.provider_key(c.idempotency_key.as_str());
        let cancelled = self
            .caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.cancel_payment_intent(
                    &c.payment_intent_id,
                    CancellationReason::Abandoned,
                    &key,
                )
            })
            .await;
        match cancelled {
            Ok(intent) => Ok(void_result(c, intent)),
            // Stripe refuses to cancel an intent that is already canceled: look.
            Err(error) if error.class() == ErrorClass::Permanent => {
                let intent = self.retrieve(&c.payment_intent_id).await?;
                Ok(void_result(c, intent))
            }
            Err(error) if error.class() == ErrorClass::OutcomeUnknown => Ok(
                Reply::outcome_unknown(&c.idempotency_key, Step::Void, &error),
            ),
            Err(error) => Err(Failure::unresolved(&error)),
        }
    }

    async fn retrieve(&self, id: &str) -> Result<PaymentIntent, Failure> {
        self.caller
            .call(Repeatable::ByIdempotencyKey, || {
                self.stripe.retrieve_payment_intent(id)
            })
            .await
            .map_err(|e| Failure::unresolved(&e))
    }
}

/// An intent the hold is not yet placed on: confirming it would place it
/// (the statuses `continue_authorization` confirms).
fn needs_confirmation(status: &PaymentIntentStatus) -> bool {
    matches!(
        status,
        PaymentIntentStatus::RequiresConfirmation | PaymentIntentStatus::RequiresPaymentMethod
    )
}

/// A permanent refusal that is not about the card: the request did not
/// fit the intent's state, which may have moved on without us.
fn refused_for_state(error: &ProviderError) -> bool {
    error.class() == ErrorClass::Permanent
        && !matches!(error, ProviderError::Rejected { error_type, .. } if error_type == "card_error")
}

fn authorized(c: &AuthorizePayment, intent: &PaymentIntent) -> Reply {
    Reply::settled(PaymentAuthorized {
        idempotency_key: c.idempotency_key.clone(),
        payment_intent_id: intent.id.clone(),
        amount: Money::new(intent.amount_capturable, intent.amount.currency),
    })
}

fn capture_result(c: &CapturePayment, intent: &PaymentIntent) -> Reply {
    if intent.status == PaymentIntentStatus::Succeeded {
        Reply::settled(PaymentCaptured {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id.clone(),
            amount: Money::new(intent.amount_received, intent.amount.currency),
        })
    } else {
        Reply::settled(CaptureFailed {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id.clone(),
            detail: format!("payment intent is {:?}, cannot capture", intent.status),
        })
    }
}

/// A hold that could not be released is reported failed, and the saga
/// tries again later: the reply may change, so it is not final.
fn void_result(c: &VoidHold, intent: PaymentIntent) -> Reply {
    match intent.status {
        PaymentIntentStatus::Canceled => Reply::settled(HoldVoided {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id,
        }),
        status => Reply::unknown(VoidFailed {
            idempotency_key: c.idempotency_key.clone(),
            payment_intent_id: intent.id,
            detail: format!("payment intent is {status:?}; the hold could not be released"),
        }),
    }
}
